package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.backend.testing.InMemoryObjectStore;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static io.scoria.accelerator.volume.VolumeBasicsTest.random;
import static io.scoria.accelerator.volume.VolumeBasicsTest.read;
import static org.junit.jupiter.api.Assertions.*;

/** A volume directory left by an older LBA map format is rebuilt from the TLogs, never misread. */
class LbaMapFormatChangeTest {
    @TempDir
    Path dir;

    @Test
    void mapFilesOfOlderFormatsAreReplacedByAReplayOfTheTlogs() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Random r = new Random(3);
        byte[] a = random(r, 64 << 10);
        byte[] b = random(r, 8 << 10);
        byte[] c = random(r, 4 << 10);
        LocalVolumeService svc = new LocalVolumeService(store, VolumeBasicsTest.config(dir));
        try {
            svc.create("gold", VolumeSpec.ofSize(64L << 20));
            Volume gold = svc.open("gold");
            gold.write(0, ByteBuffer.wrap(a), false);
            gold.snapshot("s1");
            gold.write(4096, ByteBuffer.wrap(b), true);
            svc.clone("gold", "s1", "clone1");
            Volume c1 = svc.open("clone1");
            c1.write(32 << 10, ByteBuffer.wrap(c), true);
        } finally {
            svc.close();
        }
        List<Path> volumeDirs;
        try (var s = Files.list(dir.resolve("volumes"))) {
            volumeDirs = s.toList();
        }
        assertEquals(2, volumeDirs.size());
        for (Path v : volumeDirs) {
            assertTrue(Files.exists(v.resolve("clean")), "closed cleanly: " + v);
            Files.delete(v.resolve(LbaMap.FILE_NAME));
            // what the previous formats left: chronicle maps of 8-LBA groups under the old names
            try (ChronicleMap<Long, byte[]> old = ChronicleMap.of(Long.class, byte[].class).name("lba-map").entries(64)
                    .averageValueSize(224).createPersistedTo(v.resolve("lba.map").toFile())) {
                old.put(0L, new byte[224]);
            }
            try (ChronicleMap<Long, byte[]> v2 = ChronicleMap.of(Long.class, byte[].class).name("lba-map-v2").entries(64)
                    .constantValueSizeBySample(new byte[224]).createPersistedTo(v.resolve("lba-v2.map").toFile())) {
                v2.put(0L, new byte[224]);
            }
        }
        reopenAndCheck(store, a, b, c);
        for (Path v : volumeDirs) {
            assertFalse(Files.exists(v.resolve("lba.map")), "format 1 map deleted in " + v);
            assertFalse(Files.exists(v.resolve("lba-v2.map")), "format 2 map deleted in " + v);
            assertTrue(Files.exists(v.resolve(LbaMap.FILE_NAME)), "new map written in " + v);
        }
    }

    private void reopenAndCheck(InMemoryObjectStore store, byte[] a, byte[] b, byte[] c) throws Exception {
        LocalVolumeService svc = new LocalVolumeService(store, VolumeBasicsTest.config(dir));
        try {
            Volume gold = svc.open("gold");
            byte[] want = a.clone();
            System.arraycopy(b, 0, want, 4096, b.length);
            assertArrayEquals(want, read(gold, 0, want.length));
            Volume c1 = svc.open("clone1");
            byte[] wantClone = a.clone();
            System.arraycopy(c, 0, wantClone, 32 << 10, c.length);
            assertArrayEquals(wantClone, read(c1, 0, wantClone.length));
            assertArrayEquals(new byte[4096], read(c1, 1 << 20, 4096));
        } finally {
            svc.close();
        }
    }
}
