package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.dedup.CacheStats;
import io.scoria.accelerator.dedup.Fingerprinter;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class DedupTest {
    @TempDir
    Path tmp;

    @Test
    void samePatternOnTenThousandLbasOfTenVolumesUsesOneSlot() {
        byte[] pattern = new byte[4096];
        new Random(1).nextBytes(pattern);
        byte[] batch = new byte[256 * 4096];
        for (int i = 0; i < 256; i++) {
            System.arraycopy(pattern, 0, batch, i * 4096, 4096);
        }
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp)
                .withScoCacheBytes(512L << 20).withClusterCacheBytes(4L << 20))) {
            for (int v = 0; v < 10; v++) {
                String name = "vol" + v;
                svc.create(name, VolumeSpec.ofSize(10_000L * 4096));
                Volume vol = svc.open(name);
                for (int lba = 0; lba < 10_000; lba += 256) {
                    int n = Math.min(256, 10_000 - lba);
                    vol.write((long) lba * 4096, ByteBuffer.wrap(batch, 0, n * 4096), false);
                }
            }
            CacheStats s = svc.clusterCache().stats();
            assertEquals(1, s.occupied(), s.toString());
            assertEquals(1, s.inserts(), s.toString());
            assertEquals(99_999, s.duplicates(), s.toString());
            ByteBuffer b = ByteBuffer.allocate(4096);
            svc.open("vol7").read(9_999L * 4096, b);
            assertArrayEquals(pattern, b.array());
        }
    }

    /** Fingerprint = first byte only, so clusters that share a first byte collide. */
    private static final Fingerprinter COLLIDING = (cluster, out) -> {
        out[0] = cluster.get(cluster.position());
        out[1] = 0;
    };

    @Test
    void fingerprintCollisionsNeverReturnWrongBytes() {
        Random r = new Random(2);
        byte[] a = new byte[4096];
        byte[] b = new byte[4096];
        byte[] c = new byte[4096];
        r.nextBytes(a);
        r.nextBytes(b);
        r.nextBytes(c);
        a[0] = 1;
        b[0] = 1; // a and b collide
        c[0] = 2;
        // a one-slot cache, so c evicts a and b can enter the cache under a's fingerprint
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp)
                .withFingerprinter(COLLIDING).withClusterCacheBytes(4096))) {
            svc.create("vol", VolumeSpec.ofSize(1 << 20));
            Volume v = svc.open("vol");
            v.write(0, ByteBuffer.wrap(a), false);
            v.write(4096, ByteBuffer.wrap(b), false);
            assertTrue(svc.clusterCache().stats().collisions() >= 1, svc.clusterCache().stats().toString());
            assertArrayEquals(a, read(v, 0));
            assertArrayEquals(b, read(v, 4096));
            v.write(8192, ByteBuffer.wrap(c), false);
            svc.cacheMode("vol", CacheMode.CACHE_ON_READ);
            assertArrayEquals(b, read(v, 4096)); // b now cached under the shared fingerprint
            assertArrayEquals(a, read(v, 0));
            assertArrayEquals(b, read(v, 4096));
            assertArrayEquals(c, read(v, 8192));
            // same fingerprint and same bytes still dedup
            v.write(12288, ByteBuffer.wrap(b), false);
            assertArrayEquals(b, read(v, 12288));
            assertArrayEquals(a, read(v, 0));
        }
    }

    private static byte[] read(Volume v, long off) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        v.read(off, b);
        return b.array();
    }
}
