package io.scoria.accelerator.dedup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterCacheTest {
    private static final int SLOT = 512;

    @TempDir
    Path dir;

    private static ByteBuffer cluster(long seed) {
        byte[] b = new byte[SLOT];
        new SplittableRandom(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return (int) c.getValue();
    }

    /**
     * Many evictions in a small cache (so the hash table's deletions shift probe chains over and
     * over): every cluster the cache still holds must be found under its fingerprint with its
     * own bytes, and exactly as many as it says it holds.
     */
    @Test
    void everyHeldClusterStaysFindableThroughEvictions() {
        int slots = 61;
        SplittableRandom r = new SplittableRandom(3);
        List<long[]> inserted = new ArrayList<>();
        try (ClusterCache cache = new ClusterCache(dir, SLOT, (long) slots * SLOT)) {
            for (int round = 0; round < 40; round++) {
                for (int i = 0; i < 50; i++) {
                    long seed = r.nextLong();
                    ByteBuffer c = cluster(seed);
                    long hi = r.nextLong();
                    long lo = r.nextLong();
                    ClusterCache.Insert result = cache.insert(hi, lo, crc(c), c);
                    assertEquals(ClusterCache.Insert.INSERTED, result);
                    inserted.add(new long[]{hi, lo, seed});
                    ByteBuffer back = ByteBuffer.allocate(SLOT);
                    assertTrue(cache.read(hi, lo, crc(c), back), "a cluster just inserted is found");
                    assertArrayEquals(c.array(), back.array());
                }
                int found = 0;
                for (long[] e : inserted) {
                    ByteBuffer want = cluster(e[2]);
                    ByteBuffer back = ByteBuffer.allocate(SLOT);
                    if (cache.read(e[0], e[1], crc(want), back)) {
                        assertArrayEquals(want.array(), back.array(), "bytes of the cluster under its fingerprint");
                        found++;
                    }
                }
                assertEquals(cache.stats().occupied(), found, "every held cluster is findable (round " + round + ")");
                assertEquals(Math.min(slots, inserted.size()), found);
            }
            assertEquals(40 * 50 - slots, cache.stats().evictions());
        }
    }

    @Test
    void sameFingerprintIsADuplicateOnlyWithEqualBytes() {
        try (ClusterCache cache = new ClusterCache(dir, SLOT, 8L * SLOT)) {
            ByteBuffer a = cluster(1);
            ByteBuffer b = cluster(2);
            assertEquals(ClusterCache.Insert.INSERTED, cache.insert(5, 6, crc(a), a));
            assertEquals(ClusterCache.Insert.DUPLICATE, cache.insert(5, 6, crc(a), a));
            assertEquals(ClusterCache.Insert.COLLISION, cache.insert(5, 6, crc(b), b));
            ByteBuffer back = ByteBuffer.allocate(SLOT);
            assertTrue(cache.read(5, 6, crc(a), back));
            assertArrayEquals(a.array(), back.array());
        }
    }

    @Test
    void reopenedCacheFindsItsClusters() {
        ByteBuffer a = cluster(11);
        try (ClusterCache cache = new ClusterCache(dir, SLOT, 16L * SLOT)) {
            for (int i = 0; i < 40; i++) {
                ByteBuffer c = cluster(100 + i);
                cache.insert(1000 + i, i, crc(c), c);
            }
            cache.insert(7, 8, crc(a), a);
        }
        try (ClusterCache cache = new ClusterCache(dir, SLOT, 16L * SLOT)) {
            assertEquals(16, cache.stats().occupied());
            ByteBuffer back = ByteBuffer.allocate(SLOT);
            assertTrue(cache.read(7, 8, crc(a), back));
            assertArrayEquals(a.array(), back.array());
        }
    }
}
