package io.scoria.accelerator.metadata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class LbaMapTest {
    @TempDir
    Path dir;

    @Test
    void putGetRemoveAndReopen() {
        Map<Long, Long> model = new HashMap<>();
        Random rnd = new Random(1);
        LbaEntry e = new LbaEntry();
        try (LbaMap m = LbaMap.open(dir.resolve("m"), 1 << 20, 1 << 16)) {
            for (int i = 0; i < 20000; i++) {
                long lba = rnd.nextInt(5000);
                long loc = rnd.nextInt(4) == 0 ? 0 : rnd.nextLong() | 1;
                m.put(lba, loc, loc * 3, loc * 5, (int) loc);
                if (loc == 0) {
                    model.remove(lba);
                } else {
                    model.put(lba, loc);
                }
            }
            for (long lba = 0; lba < 5000; lba++) {
                m.get(lba, e);
                long want = model.getOrDefault(lba, 0L);
                assertEquals(want, e.location, "lba " + lba);
                assertEquals(want * 3, e.fpHi);
                assertEquals(want * 5, e.fpLo);
                assertEquals((int) want, e.crc);
            }
        }
        try (LbaMap m = LbaMap.open(dir.resolve("m"), 1 << 20, 1 << 16)) {
            long[] count = new long[1];
            m.forEach((lba, loc, hi, lo, crc) -> {
                assertEquals(model.get(lba), loc);
                count[0]++;
            });
            assertEquals(model.size(), count[0]);
            m.clear();
            m.get(model.keySet().iterator().next(), e);
            assertEquals(0, e.location);
        }
    }

    @Test
    void clearThenRewriteSurvivesReopen() {
        Random rnd = new Random(7);
        Map<Long, Long> model = new HashMap<>();
        LbaEntry e = new LbaEntry();
        for (int round = 0; round < 5; round++) {
            try (LbaMap m = LbaMap.open(dir.resolve("m2"), 512, 512)) {
                for (long lba = 0; lba < 512; lba++) {
                    m.get(lba, e);
                    assertEquals(model.getOrDefault(lba, 0L), e.location, "round " + round + " lba " + lba);
                }
                if (round % 2 == 1) {
                    m.clear();
                    model.clear();
                }
                for (int i = 0; i < 3000; i++) {
                    long lba = rnd.nextInt(512);
                    long loc = rnd.nextInt(3) == 0 ? 0 : (rnd.nextLong() | 1);
                    m.put(lba, loc, 1, 2, 3);
                    if (loc == 0) {
                        model.remove(lba);
                    } else {
                        model.put(lba, loc);
                    }
                }
            }
        }
    }
}
