package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A power loss can leave the memory-mapped TLog on flash while the SCO data it points to is
 * not (nothing is forced before a FLUSH): the SCO file ends early, or a block holds older
 * bytes. The restart must end the history before the first such cluster, so reads return what
 * the volume held before it (writes in order, none of the later ones), never the stale bytes,
 * and the volume must go on working. Simulated here by damaging the SCO files after a crash;
 * uploads fail throughout, so no SCO is forced by an upload.
 */
class LostWriteRestartTest {
    private static final int CLUSTER = 4096;
    private static final int SCO_CLUSTERS = 256;
    private static final int SIZE = 4 << 20;
    private static final int FIRST = 100;
    private static final int SECOND = 200;

    @TempDir
    Path tmp;

    private final FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore())
            .failWhen(c -> c.op() == FaultInjectingStore.Op.PUT && c.key() != null && !c.key().startsWith("manifest/"));

    private EngineConfig config() {
        return EngineConfig.defaults(tmp.resolve("node")).withScosPerTlog(64).withRetry(Duration.ofMillis(5), Duration.ofMillis(50));
    }

    /** Writes A to LBAs 0..99 and flushes; then B to LBAs 0..199, one cluster each, in order; then crashes. */
    private byte[][] writeAndCrash() {
        LocalVolumeService svc = new LocalVolumeService(store, config());
        svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO_CLUSTERS * CLUSTER));
        LocalVolume v = svc.open("vol");
        byte[][] a = new byte[FIRST][];
        byte[][] b = new byte[SECOND][];
        for (int i = 0; i < FIRST; i++) {
            a[i] = pattern('A', i);
            v.write((long) i * CLUSTER, ByteBuffer.wrap(a[i]), false);
        }
        v.flush();
        for (int i = 0; i < SECOND; i++) {
            b[i] = pattern('B', i);
            v.write((long) i * CLUSTER, ByteBuffer.wrap(b[i]), false);
        }
        svc.crash();
        return merge(a, b);
    }

    private static byte[][] merge(byte[][] a, byte[][] b) {
        byte[][] all = new byte[FIRST + SECOND][];
        System.arraycopy(a, 0, all, 0, FIRST);
        System.arraycopy(b, 0, all, FIRST, SECOND);
        return all;
    }

    private Path scoFile(LocalVolumeService svc, long number) {
        return svc.scoCache().file("vol", ClusterLocation.of(number, 0, 0, 0));
    }

    /**
     * After the restart LBA i reads B[i] for i < kept, A[i] for kept <= i < 100, zeros above;
     * the volume then takes new writes, which survive a clean reopen.
     */
    private void assertPrefix(LocalVolumeService svc, byte[][] all, int kept) throws Exception {
        LocalVolume v = svc.open("vol");
        for (int i = 0; i < SECOND; i++) {
            byte[] want = i < kept ? all[FIRST + i] : i < FIRST ? all[i] : new byte[CLUSTER];
            byte[] got = new byte[CLUSTER];
            v.read((long) i * CLUSTER, ByteBuffer.wrap(got));
            assertArrayEquals(want, got, "LBA " + i + " after the restart (" + kept + " of the unflushed writes kept)");
        }
        byte[] c = pattern('C', 7);
        v.write(300L * CLUSTER, ByteBuffer.wrap(c), false);
        v.write(5L * CLUSTER, ByteBuffer.wrap(c), false);
        v.flush();
        store.heal();
        svc.close();
        try (LocalVolumeService again = new LocalVolumeService(store, config())) {
            LocalVolume w = again.open("vol");
            byte[] got = new byte[CLUSTER];
            w.read(300L * CLUSTER, ByteBuffer.wrap(got));
            assertArrayEquals(c, got, "a write after the cut survives a reopen");
            w.read(5L * CLUSTER, ByteBuffer.wrap(got));
            assertArrayEquals(c, got);
            w.read(6L * CLUSTER, ByteBuffer.wrap(got));
            assertArrayEquals(6 < kept ? all[FIRST + 6] : all[6], got);
        }
    }

    @Test
    void staleBytesInASealedScoEndTheHistoryBeforeThem() throws Exception {
        byte[][] all = writeAndCrash();
        // SCO 1 holds A (offsets 0..99) and B[0..155]; B[50] is at offset 150: give it old bytes
        LocalVolumeService svc = new LocalVolumeService(store, config());
        try (RandomAccessFile f = new RandomAccessFile(scoFile(svc, 1).toFile(), "rw")) {
            assertEquals((long) SCO_CLUSTERS * CLUSTER, f.length(), "SCO 1 was sealed full");
            f.seek(150L * CLUSTER);
            f.write(pattern('X', 150));
        }
        assertPrefix(svc, all, 50);
    }

    @Test
    void anOpenScoThatEndsEarlyEndsTheHistoryThere() throws Exception {
        byte[][] all = writeAndCrash();
        // SCO 2 is open with B[156..199] at offsets 0..43: only its first 10 clusters reached flash
        LocalVolumeService svc = new LocalVolumeService(store, config());
        try (RandomAccessFile f = new RandomAccessFile(scoFile(svc, 2).toFile(), "rw")) {
            assertEquals(44L * CLUSTER, f.length());
            f.setLength(10L * CLUSTER);
        }
        assertPrefix(svc, all, 166);
    }

    @Test
    void intactFilesKeepEveryWrite() throws Exception {
        byte[][] all = writeAndCrash();
        assertPrefix(new LocalVolumeService(store, config()), all, SECOND);
    }

    /** One SCO per TLog: SCO 1 ends up in sealed TLog 1, outside the open TLog. */
    private LocalVolumeService writeThreeHundred(EngineConfig cfg) {
        LocalVolumeService svc = new LocalVolumeService(store, cfg);
        svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO_CLUSTERS * CLUSTER));
        LocalVolume v = svc.open("vol");
        for (int i = 0; i < 300; i++) {
            v.write((long) i * CLUSTER, ByteBuffer.wrap(pattern('B', i)), false);
        }
        return svc;
    }

    private void damageCluster17OfSco1(LocalVolumeService svc) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(scoFile(svc, 1).toFile(), "rw")) {
            f.seek(17L * CLUSTER);
            f.write(pattern('X', 17));
        }
    }

    @Test
    void staleBytesInAnEarlierSealedTlogsScoRefuseTheRestart() throws Exception {
        EngineConfig cfg = config().withScosPerTlog(1);
        writeThreeHundred(cfg).crash();
        LocalVolumeService again = new LocalVolumeService(store, cfg);
        damageCluster17OfSco1(again);
        try {
            VolumeException e = assertThrows(VolumeException.class, () -> again.open("vol"));
            assertTrue(e.getMessage().contains("00000001.00.sco") && e.getMessage().contains("SCO_SEALED"), e.getMessage());
        } finally {
            again.close();
        }
    }

    @Test
    void aSealedScoThatNoLongerMatchesItsSealIsNotUploaded() throws Exception {
        EngineConfig cfg = config().withScosPerTlog(1);
        writeThreeHundred(cfg).close(); // clean stop, uploads still failing: nothing is checked at the restart
        LocalVolumeService again = new LocalVolumeService(store, cfg);
        damageCluster17OfSco1(again);
        LocalVolume w = again.open("vol");
        store.heal();
        try {
            w.awaitUploads(Duration.ofSeconds(2));
            assertFalse(store.delegate().exists("vol", "sco/00000001.00"), "a SCO that does not match its seal CRC is not uploaded");
            assertFalse(store.delegate().exists("vol", NamespaceLayout.tlogKey(1)), "nor the TLog that references it");
        } finally {
            again.crash();
        }
    }

    private static byte[] pattern(char tag, int i) {
        byte[] b = new byte[CLUSTER];
        Arrays.fill(b, (byte) tag);
        ByteBuffer.wrap(b).putInt(0, i).putInt(CLUSTER - 4, i * 31 + tag);
        return b;
    }
}
