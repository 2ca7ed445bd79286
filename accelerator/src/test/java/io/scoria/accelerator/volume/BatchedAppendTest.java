package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Large writes append their full clusters to the SCO in runs (one pwrite per run): runs that
 * cross SCO seals and TLog rolls, zero clusters inside a run, unaligned heads and tails, from
 * direct and heap buffers, must read back the same after a crash (kill -9 stand-in) and after a
 * rebuild from the backend alone.
 */
class BatchedAppendTest {
    private static final int CLUSTER = 4096;
    private static final int SCO = 1 << 20;
    private static final int SIZE = 16 << 20;

    @TempDir
    Path tmp;

    private EngineConfig config(Path dir) {
        return EngineConfig.defaults(dir).withScoCacheBytes(64L << 20).withScosPerTlog(2)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(20));
    }

    @Test
    void largeWritesAcrossSealsAndRollsSurviveCrashAndRebuild() {
        FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());
        byte[] model = new byte[SIZE];
        SplittableRandom r = new SplittableRandom(5);
        LocalVolumeService svc = new LocalVolumeService(store, config(tmp.resolve("a")));
        try {
            svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO));
            LocalVolume v = svc.open("vol");
            for (int i = 0; i < 40; i++) {
                int len = 1 + r.nextInt(3 * SCO);
                int off = r.nextInt(SIZE - len);
                if (i % 3 == 0) {
                    off -= off % CLUSTER;
                }
                byte[] data = new byte[len];
                r.nextBytes(data);
                // zero clusters (and zero stretches) inside the write
                for (int z = 0; z < 4; z++) {
                    int at = r.nextInt(len);
                    int zl = Math.min(len - at, r.nextInt(3 * CLUSTER));
                    java.util.Arrays.fill(data, at, at + zl, (byte) 0);
                }
                ByteBuffer src = i % 2 == 0 ? ByteBuffer.wrap(data) : ByteBuffer.allocateDirect(len).put(data).flip();
                v.write(off, src, i % 5 == 0);
                assertEquals(0, src.position(), "the caller's buffer position is unchanged");
                System.arraycopy(data, 0, model, off, len);
            }
            check(v, model);
            svc.crash();
            svc = new LocalVolumeService(store, config(tmp.resolve("a")));
            v = svc.open("vol");
            check(v, model);
            assertTrue(v.awaitUploads(Duration.ofSeconds(60)));
            v.sync();
            assertTrue(v.awaitUploads(Duration.ofSeconds(60)));
            svc.close();
            // a node with empty local flash rebuilds from the backend alone
            svc = new LocalVolumeService(store, config(tmp.resolve("b")));
            check(svc.open("vol"), model);
        } finally {
            svc.close();
        }
    }

    @Test
    void aScoFileNoTlogReferencesIsDeletedOnRestartAfterACrash() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalVolumeService svc = new LocalVolumeService(store, config(tmp.resolve("c")));
        byte[] model = new byte[SIZE];
        svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO));
        LocalVolume v = svc.open("vol");
        byte[] data = new byte[3 * SCO];
        new SplittableRandom(9).nextBytes(data);
        v.write(0, ByteBuffer.wrap(data), false);
        System.arraycopy(data, 0, model, 0, data.length);
        svc.crash();
        Path scoDir;
        try (var files = java.nio.file.Files.walk(tmp.resolve("c"))) {
            scoDir = files.filter(f -> f.getFileName().toString().endsWith(".sco")).findFirst().orElseThrow().getParent();
        }
        // what a kill -9 between creating the next SCO file and logging its first cluster leaves
        Path orphan = scoDir.resolve("000003e7.00.sco");
        java.nio.file.Files.write(orphan, new byte[SCO]);
        Path older = scoDir.resolve("00000001.00.sco");
        assertTrue(java.nio.file.Files.exists(older));
        svc = new LocalVolumeService(store, config(tmp.resolve("c")));
        try {
            v = svc.open("vol");
            assertTrue(!java.nio.file.Files.exists(orphan), "the SCO no TLog references is deleted");
            assertTrue(java.nio.file.Files.exists(older), "SCOs the TLogs reference are kept");
            check(v, model);
            v.write(SIZE - CLUSTER, ByteBuffer.wrap(data, 0, CLUSTER), false);
            System.arraycopy(data, 0, model, SIZE - CLUSTER, CLUSTER);
            check(v, model);
        } finally {
            svc.close();
        }
    }

    private static void check(LocalVolume v, byte[] model) {
        byte[] back = new byte[SIZE];
        v.read(0, ByteBuffer.wrap(back));
        for (int c = 0; c < SIZE; c += CLUSTER) {
            byte[] want = java.util.Arrays.copyOfRange(model, c, c + CLUSTER);
            byte[] got = java.util.Arrays.copyOfRange(back, c, c + CLUSTER);
            assertArrayEquals(want, got, "cluster " + c / CLUSTER);
        }
    }
}
