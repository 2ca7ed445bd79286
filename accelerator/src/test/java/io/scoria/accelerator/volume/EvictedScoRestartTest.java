package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A SCO that was uploaded and then evicted from the local SCO cache while its TLog was still
 * open is gone locally after a crash, but its TLog is not on the backend yet, so the restart
 * queues it again. The upload must see that the backend already holds it instead of retrying
 * for ever, which blocked every later upload and, once the cache was full of unuploaded SCOs,
 * every write (found by the 20-round RouterKillIT soak).
 */
class EvictedScoRestartTest {
    private static final int CLUSTER = 4096;
    private static final int SCO = 1 << 20;
    private static final int SIZE = 64 << 20;

    @TempDir
    Path tmp;

    private EngineConfig config() {
        // 4 SCOs of local cache, TLogs rolled only every 64 SCOs: uploaded SCOs are evicted long before their TLog rolls
        return EngineConfig.defaults(tmp.resolve("node")).withScoCacheBytes(4L * SCO).withScosPerTlog(64)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(50));
    }

    @Test
    void evictedScosOfAnUnuploadedTlogDoNotBlockUploadsAfterACrash() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] model = new byte[SIZE];
        SplittableRandom r = new SplittableRandom(1);
        LocalVolumeService svc = new LocalVolumeService(store, config());
        svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO));
        LocalVolume v = svc.open("vol");
        write(v, model, r, 0, 12 * SCO);
        assertTrue(v.awaitUploads(Duration.ofSeconds(30)), "the sealed SCOs reach the backend");
        svc.crash();

        LocalVolumeService again = new LocalVolumeService(store, config());
        LocalVolume w = again.open("vol");
        // more than the local cache holds: only possible if uploads make progress
        CompletableFuture<Void> more = CompletableFuture.runAsync(() -> write(w, model, r, 12 * SCO, 10 * SCO));
        try {
            more.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // the writer is stuck holding the volume's lock, so closing would hang too: leave it to the JVM's end
            fail("writes hang after the restart: the upload queue is stuck");
        }
        try {
            assertTrue(w.awaitUploads(Duration.ofSeconds(30)), "uploads drain after the restart");
            byte[] back = new byte[SIZE];
            for (int off = 0; off < SIZE; off += 16 << 20) {
                w.read(off, ByteBuffer.wrap(back, off, 16 << 20));
            }
            assertArrayEquals(model, back);
        } finally {
            again.close();
        }
    }

    private static void write(LocalVolume v, byte[] model, SplittableRandom r, int from, int bytes) {
        byte[] data = new byte[bytes];
        r.nextBytes(data);
        for (int off = 0; off < bytes; off += SCO / 4) {
            v.write(from + off, ByteBuffer.wrap(data, off, SCO / 4), false);
        }
        System.arraycopy(data, 0, model, from, bytes);
    }
}
