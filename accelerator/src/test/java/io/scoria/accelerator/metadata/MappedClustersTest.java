package io.scoria.accelerator.metadata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LbaMap#mappedClusters} (issue 25: measuring a volume's space without a scan) against a
 * model of the mapped LBAs and against a walk of the map, through single puts and batches that
 * add, overwrite and remove records in sparse and dense regions (so records move between coarse
 * pages, fine pages and dense groups), file rebuilds as the map grows, {@link LbaMap#clear} and
 * reopening the file.
 */
class MappedClustersTest {
    private static final long CLUSTERS = 1L << 26;

    @TempDir
    Path dir;

    /** An LBA concentrated in a few regions (dense groups and page splits) or scattered (coarse pages). */
    private static long lba(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> r.nextInt(8192);
            case 1 -> (1L << 20) + r.nextInt(600);
            default -> (long) (r.nextDouble() * CLUSTERS);
        };
    }

    private static long walked(LbaMap m) {
        long[] n = {0};
        m.forEach((lba, location, hi, lo, crc) -> n[0]++);
        return n[0];
    }

    private static void set(LbaMap m, BitSet model, long lba, boolean remove) {
        long loc = remove ? 0 : lba + 1;
        m.put(lba, loc, loc * 3, loc * 5, (int) loc);
        model.set((int) lba, !remove);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void theCountFollowsRandomPutsRemovalsAndBatches(long seed) {
        Random r = new Random(seed);
        BitSet model = new BitSet();
        try (LbaMap m = LbaMap.open(dir.resolve("map"), CLUSTERS)) {
            long firstCapacity = m.capacity();
            for (int round = 0; round < 40; round++) {
                if (r.nextInt(4) == 0) {
                    try (LbaBatch b = m.batch(1 + r.nextInt(5000))) {
                        for (int i = 0; i < 3000; i++) {
                            long lba = lba(r);
                            boolean remove = r.nextInt(3) == 0;
                            long loc = remove ? 0 : lba + 1;
                            b.put(lba, loc, loc * 3, loc * 5, (int) loc);
                            model.set((int) lba, !remove);
                        }
                        b.flush();
                    }
                } else {
                    for (int i = 0; i < 3000; i++) {
                        set(m, model, lba(r), r.nextInt(3) == 0);
                    }
                }
                assertEquals(model.cardinality(), m.mappedClusters(), "round " + round);
                assertEquals(walked(m), m.mappedClusters(), "round " + round);
            }
            assertTrue(m.denseGroups() > 0 && m.entries() > m.denseGroups(), "dense groups and pages both used");
            assertTrue(m.capacity() > firstCapacity, "the file was rebuilt for more entries: capacity " + m.capacity() + ", entries " + m.entries());
        }
    }

    @Test
    void removingEverythingCountsDownToZeroAndClearResetsIt() {
        Random r = new Random(7);
        BitSet model = new BitSet();
        try (LbaMap m = LbaMap.open(dir.resolve("map"), CLUSTERS)) {
            for (int i = 0; i < 20_000; i++) {
                set(m, model, lba(r), false);
            }
            assertEquals(model.cardinality(), m.mappedClusters());
            for (int lba = model.nextSetBit(0); lba >= 0; lba = model.nextSetBit(lba + 1)) {
                set(m, model, lba, true);
            }
            assertEquals(0, m.mappedClusters());
            assertEquals(0, m.entries(), "every entry removed with its last record");
            for (int i = 0; i < 1000; i++) {
                set(m, model, lba(r), false);
            }
            assertTrue(m.mappedClusters() > 0);
            m.clear();
            assertEquals(0, m.mappedClusters());
            assertEquals(0, walked(m));
        }
    }

    @Test
    void aReopenedMapCountsWhatItsFileHolds() {
        Random r = new Random(11);
        BitSet model = new BitSet();
        Path f = dir.resolve("map");
        try (LbaMap m = LbaMap.open(f, CLUSTERS)) {
            for (int i = 0; i < 30_000; i++) {
                set(m, model, lba(r), r.nextInt(5) == 0);
            }
        }
        try (LbaMap m = LbaMap.open(f, CLUSTERS)) {
            assertEquals(model.cardinality(), m.mappedClusters());
            for (int i = 0; i < 5_000; i++) {
                set(m, model, lba(r), r.nextInt(2) == 0);
            }
            assertEquals(model.cardinality(), m.mappedClusters());
            assertEquals(walked(m), m.mappedClusters());
        }
    }
}
