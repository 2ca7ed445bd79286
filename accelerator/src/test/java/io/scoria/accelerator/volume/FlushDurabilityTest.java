package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sealing a SCO does not fsync it (the uploader does, before the upload); FLUSH and FUA must
 * then force every sealed SCO not forced yet, and they force outside the append lock while
 * other writers seal and close SCOs.
 */
class FlushDurabilityTest {
    private static final int CLUSTER = 4096;
    private static final int SCO = 1 << 20;

    @TempDir
    Path tmp;

    private static byte[] pattern(long seed, int len) {
        byte[] b = new byte[len];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @Test
    void flushAndFuaForceSealedScosThatAreNotUploaded() {
        FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp).withScoCacheBytes(64L << 20)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(20)))) {
            svc.create("vol", new VolumeSpec(32 << 20, CLUSTER, SCO));
            LocalVolume v = svc.open("vol");
            store.down(true);
            v.write(0, ByteBuffer.wrap(pattern(1, 4 * SCO + CLUSTER)), false);
            // four full SCOs were sealed without an fsync; the uploader may have forced the first
            // before its put failed (backend down), the others wait behind it
            assertTrue(v.unforcedScos() >= 3, "unforced sealed SCOs: " + v.unforcedScos());
            v.flush();
            assertEquals(0, v.unforcedScos());
            v.write(8L * SCO, ByteBuffer.wrap(pattern(2, 2 * SCO)), false);
            assertEquals(2, v.unforcedScos(), "the uploader is stuck on the first SCO, already forced");
            v.write(12L * SCO, ByteBuffer.wrap(pattern(3, CLUSTER)), true);
            assertEquals(0, v.unforcedScos(), "a FUA write forces the sealed SCOs written before it");
            store.down(false);
            assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
            byte[] back = new byte[2 * SCO];
            v.read(8L * SCO, ByteBuffer.wrap(back));
            assertArrayEquals(pattern(2, 2 * SCO), back);
        }
    }

    @Test
    void flushesRacingWritersThatSealScosNeverFailAndLoseNothing() throws Exception {
        FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());
        int threads = 3;
        int writes = 400;
        int len = 16 * CLUSTER;
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp).withScoCacheBytes(256L << 20)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(20)))) {
            svc.create("vol", new VolumeSpec((long) threads * writes * len, CLUSTER, SCO));
            LocalVolume v = svc.open("vol");
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
            try {
                AtomicBoolean done = new AtomicBoolean();
                Future<Integer> flusher = pool.submit(() -> {
                    int n = 0;
                    while (!done.get()) {
                        v.flush();
                        n++;
                    }
                    return n;
                });
                List<Future<?>> writers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    writers.add(pool.submit(() -> {
                        for (int i = 0; i < writes; i++) {
                            long off = ((long) id * writes + i) * len;
                            v.write(off, ByteBuffer.wrap(pattern(off, len)), i % 7 == 0);
                        }
                        return null;
                    }));
                }
                for (Future<?> w : writers) {
                    w.get(120, TimeUnit.SECONDS);
                }
                done.set(true);
                assertTrue(flusher.get(60, TimeUnit.SECONDS) > 0);
                v.flush();
                assertEquals(0, v.unforcedScos());
            } finally {
                pool.shutdownNow();
            }
            byte[] back = new byte[len];
            for (long off = 0; off < (long) threads * writes * len; off += len) {
                v.read(off, ByteBuffer.wrap(back));
                assertArrayEquals(pattern(off, len), back, "bytes at " + off);
            }
        }
    }
}
