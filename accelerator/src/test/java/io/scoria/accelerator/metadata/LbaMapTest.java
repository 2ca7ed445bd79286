package io.scoria.accelerator.metadata;

import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class LbaMapTest {
    private static final long SIXTEEN_TIB_CLUSTERS = (16L << 40) / 4096;

    @TempDir
    Path dir;

    private static long fpHi(long loc) {
        return loc * 3;
    }

    private static long fpLo(long loc) {
        return loc * 5 + 1;
    }

    private static int crc(long loc) {
        return (int) (loc * 7);
    }

    private static void assertMatches(LbaMap m, Map<Long, Long> model, long[] probes) {
        LbaEntry e = new LbaEntry();
        for (long lba : probes) {
            m.get(lba, e);
            long want = model.getOrDefault(lba, 0L);
            assertEquals(want, e.location, "lba " + lba);
            assertEquals(want == 0 ? 0 : fpHi(want), e.fpHi, "fpHi of lba " + lba);
            assertEquals(want == 0 ? 0 : fpLo(want), e.fpLo, "fpLo of lba " + lba);
            assertEquals(want == 0 ? 0 : crc(want), e.crc, "crc of lba " + lba);
        }
        Map<Long, Long> seen = new HashMap<>();
        m.forEach((lba, loc, hi, lo, c) -> {
            assertNull(seen.put(lba, loc), "lba " + lba + " visited twice");
            assertEquals(fpHi(loc), hi);
            assertEquals(fpLo(loc), lo);
            assertEquals(crc(loc), c);
        });
        assertEquals(model, seen);
    }

    /** What a put of {@code loc} at {@code lba} does to the reference model (location 0 removes). */
    private static void model(Map<Long, Long> model, long lba, long loc) {
        if (loc == 0) {
            model.remove(lba);
        } else {
            model.put(lba, loc);
        }
    }

    /** {@code ops} puts of random LBAs {@code k * stride, k < span}; one in {@code removeOneIn} removes. */
    private static void randomPuts(LbaMap m, Map<Long, Long> model, SplittableRandom rnd, int ops, long span, long stride,
                                   int removeOneIn) {
        for (int i = 0; i < ops; i++) {
            long lba = rnd.nextLong(span) * stride;
            long loc = rnd.nextInt(removeOneIn) == 0 ? 0 : rnd.nextLong(1, Long.MAX_VALUE);
            m.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
            model(model, lba, loc);
        }
    }

    /** Random puts (a quarter of them removals) of LBAs below {@code span}, spread over a volume of {@code clusters}. */
    private void randomAgainstModel(long clusters, long span, long stride, int ops, long seed) {
        Map<Long, Long> model = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        Path f = dir.resolve("m-" + seed);
        long[] probes;
        try (LbaMap m = LbaMap.open(f, clusters, 1 << 16)) {
            randomPuts(m, model, rnd, ops, span, stride, 4);
            probes = new long[(int) Math.min(span, 20_000) + model.size()];
            int n = 0;
            for (long k = 0; k < Math.min(span, 20_000); k++) {
                probes[n++] = k * stride;
            }
            for (long lba : model.keySet()) {
                probes[n++] = lba;
            }
            assertMatches(m, model, probes);
            assertTrue(m.entries() > 0);
        }
        try (LbaMap m = LbaMap.open(f, clusters, 1 << 16)) {
            assertMatches(m, model, probes);
            // keeps working after a reopen: overwrite and remove some more
            randomPuts(m, model, rnd, ops / 4, span, stride, 3);
            assertMatches(m, model, probes);
        }
    }

    @Test
    void denseRandomPutsAndRemovalsMatchAModelAndSurviveReopen() {
        randomAgainstModel(1 << 20, 40_000, 1, 150_000, 1);
    }

    @Test
    void sparseRandomPutsOnASixteenTebibyteVolumeMatchAModelAndSurviveReopen() {
        randomAgainstModel(SIXTEEN_TIB_CLUSTERS, 1L << 26, 64, 60_000, 2);
    }

    @Test
    void hugeVolumeLbasAboveTwoToTheThirtyTwo() {
        randomAgainstModel(1L << 40, 1L << 20, 1L << 19, 20_000, 3);
    }

    @Test
    void middleDensityPutsSplitPagesAndPromoteGroupsAndMatchAModel() {
        // about a third of the LBAs of a 64 Mi-cluster volume span: coarse pages overflow into fine
        // pages, some groups fill up and become dense, removals empty pages and dense groups again
        randomAgainstModel(1L << 26, 1 << 16, 1, 60_000, 4);
    }

    @Test
    void mixedDenseAndScatteredRegionsMatchAModel() {
        Map<Long, Long> model = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(11);
        Path f = dir.resolve("mixed");
        long clusters = SIXTEEN_TIB_CLUSTERS;
        long[] probes = new long[40_000];
        try (LbaMap m = LbaMap.open(f, clusters, 1 << 16)) {
            for (int i = 0; i < 30_000; i++) {
                long lba = switch (i % 3) {
                    case 0 -> rnd.nextLong(8192); // dense area at the start
                    case 1 -> (1L << 30) + rnd.nextLong(1 << 14) * 3; // every third LBA of a middle area
                    default -> rnd.nextLong(clusters); // scattered
                };
                long loc = rnd.nextInt(5) == 0 ? 0 : rnd.nextLong(1, Long.MAX_VALUE);
                m.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
                model(model, lba, loc);
            }
            assertTrue(m.denseGroups() > 0, "full groups of the dense area became dense groups");
            int n = 0;
            for (long lba : model.keySet()) {
                probes[n++] = lba;
                probes[n++] = lba + 1 < clusters ? lba + 1 : lba;
            }
            for (; n < probes.length; n++) {
                probes[n] = rnd.nextLong(clusters);
            }
            assertMatches(m, model, probes);
        }
        try (LbaMap m = LbaMap.open(f, clusters, 1 << 16)) {
            assertMatches(m, model, probes);
        }
    }

    @Test
    void aGroupThatFillsUpBecomesOneDenseEntryAndEmptyGroupsLeaveNoEntries() {
        try (LbaMap m = LbaMap.open(dir.resolve("p"), 1 << 20, 1024)) {
            for (int i = 0; i < LbaMap.PROMOTE - 1; i++) {
                m.put(800 + i, 10 + i, fpHi(10 + i), fpLo(10 + i), crc(10 + i));
            }
            assertEquals(0, m.denseGroups());
            assertEquals(1, m.entries(), "one coarse page");
            m.put(807, 99, fpHi(99), fpLo(99), crc(99));
            assertEquals(1, m.denseGroups());
            assertEquals(1, m.entries(), "the page emptied into the dense group");
            Map<Long, Long> model = new HashMap<>();
            for (int i = 0; i < LbaMap.PROMOTE - 1; i++) {
                model.put(800L + i, 10L + i);
            }
            model.put(807L, 99L);
            assertMatches(m, model, new long[] {799, 800, 805, 806, 807, 808});
            for (long lba : model.keySet()) {
                m.put(lba, 0, 0, 0, 0);
            }
            assertEquals(0, m.entries());
        }
    }

    @Test
    void batchEqualsSequentialPutsAtEveryDensity() {
        // span/clusters from scattered to dense; a batch touches whole regions, puts one LBA at a time
        for (long clusters : new long[] {1 << 12, 1 << 16, 1 << 22}) {
            SplittableRandom rnd = new SplittableRandom(clusters + 1);
            Map<Long, Long> model = new HashMap<>();
            try (LbaMap seq = LbaMap.open(dir.resolve("seq2-" + clusters), clusters, 1 << 12);
                 LbaMap bulk = LbaMap.open(dir.resolve("bulk2-" + clusters), clusters, 1 << 12);
                 LbaBatch batch = bulk.batch(50_000)) {
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 30_000; i++) {
                        long lba = rnd.nextLong(clusters);
                        long loc = rnd.nextInt(round + 3) == 0 ? 0 : rnd.nextLong(1, Long.MAX_VALUE);
                        seq.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
                        batch.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
                        model(model, lba, loc);
                    }
                    batch.flush();
                    long[] probes = new long[(int) Math.min(clusters, 1 << 16)];
                    for (int k = 0; k < probes.length; k++) {
                        probes[k] = clusters <= 1 << 16 ? k : rnd.nextLong(clusters);
                    }
                    assertMatches(seq, model, probes);
                    assertMatches(bulk, model, probes);
                }
            }
        }
    }

    /**
     * A reader hammers LBAs that always have data while the writer fills the LBAs around them,
     * which splits coarse pages into fine pages and promotes groups into dense groups: every
     * move of those records must stay invisible (no "no data", no wrong record).
     */
    @Test
    void readersNeverSeeNoDataWhileRecordsMove() throws Exception {
        long clusters = SIXTEEN_TIB_CLUSTERS;
        int regions = 12;
        int region = 1 << 12;
        try (LbaMap m = LbaMap.open(dir.resolve("moves"), clusters, 1024)) {
            long[] stable = new long[regions * 64];
            for (int r = 0; r < regions; r++) {
                for (int k = 0; k < 64; k++) {
                    // one LBA in every 8th group of region r: it moves with its group and range
                    long lba = (long) r * 977 * region + (long) k * 64 + 3;
                    stable[r * 64 + k] = lba;
                    m.put(lba, lba + 1, fpHi(lba + 1), fpLo(lba + 1), crc(lba + 1));
                }
            }
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                LbaEntry e = new LbaEntry();
                try {
                    long n = 0;
                    while (!done.get()) {
                        for (long lba : stable) {
                            m.get(lba, e);
                            if (e.location != lba + 1 || e.fpHi != fpHi(lba + 1) || e.fpLo != fpLo(lba + 1) || e.crc != crc(lba + 1)) {
                                throw new AssertionError("lba " + lba + " read location " + e.location);
                            }
                            n++;
                        }
                    }
                    reads.set(n);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            long densesBefore = m.denseGroups();
            SplittableRandom rnd = new SplittableRandom(9);
            for (int r = 0; r < regions && failure.get() == null; r++) {
                long base = (long) r * 977 * region;
                // fill the region around the stable LBAs in random order, then empty it again
                int[] order = new int[region];
                for (int i = 0; i < region; i++) {
                    order[i] = i;
                }
                for (int i = region - 1; i > 0; i--) {
                    int j = rnd.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                for (int off : order) {
                    if (off % 64 != 3) {
                        long loc = base + off + 1;
                        m.put(base + off, loc, fpHi(loc), fpLo(loc), crc(loc));
                    }
                }
                assertTrue(m.denseGroups() > densesBefore, "region " + r + " promoted groups");
                for (int off : order) {
                    if (off % 64 != 3) {
                        m.put(base + off, 0, 0, 0, 0);
                    }
                }
            }
            done.set(true);
            reader.join();
            assertNull(failure.get(), () -> "reader failed: " + failure.get());
            assertTrue(reads.get() > stable.length, "reader ran: " + reads.get());
        }
    }

    @Test
    void batchEqualsSequentialPuts() {
        for (long clusters : new long[] {4096, 1 << 20, SIXTEEN_TIB_CLUSTERS}) {
            SplittableRandom rnd = new SplittableRandom(clusters);
            long span = Math.min(clusters, 1 << 14);
            long stride = clusters / span;
            Map<Long, Long> model = new HashMap<>();
            try (LbaMap seq = LbaMap.open(dir.resolve("seq-" + clusters), clusters, 1 << 12);
                 LbaMap bulk = LbaMap.open(dir.resolve("bulk-" + clusters), clusters, 1 << 12);
                 LbaBatch batch = bulk.batch(3000)) {
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 20_000; i++) {
                        // a small span makes repeated writes to one LBA inside one batch common
                        long lba = rnd.nextLong(span) * stride;
                        long loc = rnd.nextInt(5) == 0 ? 0 : rnd.nextLong(1, Long.MAX_VALUE);
                        seq.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
                        batch.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
                        model(model, lba, loc);
                    }
                    batch.flush();
                    long[] probes = new long[(int) span];
                    for (int k = 0; k < span; k++) {
                        probes[k] = k * stride;
                    }
                    assertMatches(seq, model, probes);
                    assertMatches(bulk, model, probes);
                }
            }
        }
    }

    @Test
    void closedBatchDiscardsUnflushedPuts() {
        try (LbaMap m = LbaMap.open(dir.resolve("b"), 1024, 1024)) {
            try (LbaBatch b = m.batch(16)) {
                for (int i = 0; i < 20; i++) {
                    b.put(i, 100 + i, fpHi(100 + i), fpLo(100 + i), crc(100 + i));
                }
                // the 17th put flushed the first 16
            }
            Map<Long, Long> model = new HashMap<>();
            for (long i = 0; i < 16; i++) {
                model.put(i, 100 + i);
            }
            assertMatches(m, model, new long[] {0, 15, 16, 19});
        }
    }

    @Test
    void outOfRangeLbaIsRejected() {
        try (LbaMap m = LbaMap.open(dir.resolve("r"), 1000, 1000); LbaBatch b = m.batch(10)) {
            assertThrows(IllegalArgumentException.class, () -> m.put(1000, 1, 2, 3, 4));
            assertThrows(IllegalArgumentException.class, () -> m.put(-1, 1, 2, 3, 4));
            assertThrows(IllegalArgumentException.class, () -> b.put(1000, 1, 2, 3, 4));
        }
    }

    @Test
    void clearThenRewriteSurvivesReopen() {
        SplittableRandom rnd = new SplittableRandom(7);
        Map<Long, Long> model = new HashMap<>();
        long[] probes = new long[4096];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = i;
        }
        for (int round = 0; round < 5; round++) {
            try (LbaMap m = LbaMap.open(dir.resolve("m2"), 4096, 4096)) {
                assertMatches(m, model, probes);
                if (round % 2 == 1) {
                    m.clear();
                    model.clear();
                    assertEquals(0, m.entries());
                }
                for (int i = 0; i < 6000; i++) {
                    long lba = rnd.nextInt(4096);
                    long loc = rnd.nextInt(3) == 0 ? 0 : rnd.nextLong(1, Long.MAX_VALUE);
                    m.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
                    model(model, lba, loc);
                }
            }
        }
    }

    @Test
    void getsDuringInPlaceUpdatesOfTheSameGroupsSeeWholeRecords() throws Exception {
        try (LbaMap m = LbaMap.open(dir.resolve("c"), SIXTEEN_TIB_CLUSTERS, 1024)) {
            long[] stable = new long[64];
            for (int i = 0; i < stable.length; i++) {
                stable[i] = (long) i * 1_000_003L * 8;
                m.put(stable[i], i + 1, fpHi(i + 1), fpLo(i + 1), crc(i + 1));
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                LbaEntry e = new LbaEntry();
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        for (int i = 0; i < stable.length; i++) {
                            m.get(stable[i], e);
                            if (e.location != i + 1 || e.fpHi != fpHi(i + 1) || e.fpLo != fpLo(i + 1) || e.crc != crc(i + 1)) {
                                throw new AssertionError("lba " + stable[i] + " read " + e.location);
                            }
                            // a neighbour in the same group: either absent or a whole record, never torn
                            m.get(stable[i] + 1, e);
                            if (e.location != 0 && (e.fpHi != fpHi(e.location) || e.fpLo != fpLo(e.location) || e.crc != crc(e.location))) {
                                throw new AssertionError("torn record at lba " + (stable[i] + 1));
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            SplittableRandom rnd = new SplittableRandom(5);
            for (int k = 0; k < 200_000 && failure.get() == null; k++) {
                long lba = stable[rnd.nextInt(stable.length)] + 1 + rnd.nextInt(7);
                long loc = rnd.nextInt(4) == 0 ? 0 : rnd.nextLong(1, Long.MAX_VALUE);
                m.put(lba, loc, fpHi(loc), fpLo(loc), crc(loc));
            }
            reader.interrupt();
            reader.join();
            assertNull(failure.get(), () -> "reader failed: " + failure.get());
        }
    }

    @Test
    void removingTheLastLbaOfAGroupRemovesItsEntry() {
        try (LbaMap m = LbaMap.open(dir.resolve("e"), 1 << 20, 1024)) {
            m.put(17, 5, 1, 2, 3);
            m.put(18, 6, 1, 2, 3);
            assertEquals(1, m.entries());
            m.put(17, 0, 0, 0, 0);
            assertEquals(1, m.entries());
            m.put(18, 0, 0, 0, 0);
            assertEquals(0, m.entries());
            m.put(19, 0, 0, 0, 0);
            assertEquals(0, m.entries());
        }
    }

    @Test
    void aForeignChronicleFileIsRejectedNotMisread() throws Exception {
        Path f = dir.resolve("old.map");
        try (ChronicleMap<Long, byte[]> old = ChronicleMap.of(Long.class, byte[].class).name("old").entries(100)
                .averageValueSize(224).createPersistedTo(f.toFile())) {
            old.put(1L, new byte[224]);
        }
        assertThrows(LbaMapFormatException.class, () -> LbaMap.open(f, 1 << 20, 1 << 20));
        assertTrue(Files.exists(f));
    }
}
