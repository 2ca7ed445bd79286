package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.ClusterLocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The next SCO's file is created ahead, off the append path: it is used as the next SCO, a
 * clean close deletes it, a crash leaves it to the restart, which deletes it as a SCO file no
 * TLog references, and deleting the volume removes it with the rest.
 */
class PreparedScoFileTest {
    private static final int CLUSTER = 4096;
    private static final int SCO = 1 << 20;
    private static final int PER_SCO = SCO / CLUSTER;
    private static final int SIZE = 16 << 20;

    @TempDir
    Path tmp;

    private EngineConfig config() {
        return EngineConfig.defaults(tmp.resolve("node"));
    }

    private static void write(LocalVolume v, byte[] model, SplittableRandom r, int clusters) {
        byte[] c = new byte[CLUSTER];
        for (int i = 0; i < clusters; i++) {
            r.nextBytes(c);
            int lba = r.nextInt(SIZE / CLUSTER);
            System.arraycopy(c, 0, model, lba * CLUSTER, CLUSTER);
            v.write((long) lba * CLUSTER, ByteBuffer.wrap(c), false);
        }
    }

    private static void assertContent(LocalVolume v, byte[] model) {
        byte[] back = new byte[SIZE];
        v.read(0, ByteBuffer.wrap(back));
        assertArrayEquals(model, back);
    }

    private List<Long> emptyScoFiles(LocalVolumeService svc) throws Exception {
        return svc.scoCache().localScoIds("vol").stream()
                .filter(id -> {
                    try {
                        return Files.size(svc.scoCache().file("vol", id)) == 0;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).toList();
    }

    @Test
    void preparedFileBecomesTheNextScoAndIsDeletedOnClose() throws Exception {
        byte[] model = new byte[SIZE];
        SplittableRandom r = new SplittableRandom(5);
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalVolumeService svc = new LocalVolumeService(store, config())) {
            svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO));
            LocalVolume v = svc.open("vol");
            write(v, model, r, PER_SCO * 3 + 10); // SCOs 1-3 sealed, SCO 4 open, SCO 5 prepared
            long open = v.manifest().nextScoNumber() - 1;
            assertEquals(4, open);
            Path next = svc.scoCache().file("vol", ClusterLocation.of(open + 1, 0, 0, 0));
            for (int i = 0; i < 500 && !Files.exists(next); i++) {
                Thread.sleep(10);
            }
            assertTrue(Files.exists(next), "the next SCO's file is prepared");
            assertEquals(0, Files.size(next));
            write(v, model, r, PER_SCO); // fills SCO 4 and opens SCO 5 in the prepared file
            assertTrue(Files.size(next) > 0, "the prepared file is used as the next SCO");
            assertContent(v, model);
            svc.closeVolume("vol");
            assertEquals(List.of(), emptyScoFiles(svc), "a clean close leaves no prepared file");
            LocalVolume again = svc.open("vol");
            assertContent(again, model);
        }
    }

    @Test
    void crashLeavesThePreparedFileToTheRestart() throws Exception {
        byte[] model = new byte[SIZE];
        SplittableRandom r = new SplittableRandom(6);
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalVolumeService svc = new LocalVolumeService(store, config());
        svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO));
        LocalVolume v = svc.open("vol");
        write(v, model, r, PER_SCO * 2 + 5);
        svc.crash();
        try (LocalVolumeService again = new LocalVolumeService(store, config())) {
            assertFalse(emptyScoFiles(again).isEmpty(), "the crash left the prepared file");
            LocalVolume w = again.open("vol");
            assertEquals(List.of(), emptyScoFiles(again), "the restart deletes the unreferenced prepared file");
            assertContent(w, model);
            write(w, model, r, PER_SCO * 2);
            assertContent(w, model);
            again.delete("vol");
            assertFalse(Files.exists(again.scoCache().file("vol", ClusterLocation.of(1, 0, 0, 0)).getParent()),
                    "deleting the volume removes its SCO directory, prepared file included");
        }
    }
}
