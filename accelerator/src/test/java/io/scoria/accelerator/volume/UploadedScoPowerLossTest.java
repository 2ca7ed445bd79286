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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An uploaded SCO's local file and its {@code .uploaded} marker are not forced: the backend
 * copy is the durable one. A power loss can then leave a sealed SCO whose local file holds
 * other bytes (a recycled file's) and no marker. Simulated by damaging the local file and
 * deleting the marker after a crash: the restart checks must find the SCO on the backend and
 * keep every write (not cut the TLog, not refuse to open, not refuse the upload), and must
 * still cut or refuse when the backend copy is missing or differs. A SCO whose marker alone was
 * lost is marked again, so that it can be evicted.
 */
class UploadedScoPowerLossTest {
    private static final int CLUSTER = 4096;
    private static final int SCO_CLUSTERS = 256;
    private static final int SIZE = 4 << 20;
    private static final int WRITES = 300;

    @TempDir
    Path tmp;

    /** TLog uploads fail while {@code tlogsFail}; SCO uploads always work. */
    private volatile boolean tlogsFail;
    /** Opened by the first attempt to upload a TLog: the uploader (one FIFO) is done with the SCOs queued before it. */
    private final CountDownLatch tlogPutTried = new CountDownLatch(1);

    private final FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore()).failWhen(c -> {
        boolean tlogPut = c.op() == FaultInjectingStore.Op.PUT && c.key() != null && c.key().startsWith("tlog");
        if (tlogPut) {
            tlogPutTried.countDown();
        }
        return tlogsFail && tlogPut;
    });

    private EngineConfig config(int scosPerTlog) {
        return EngineConfig.defaults(tmp.resolve("node")).withScosPerTlog(scosPerTlog)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(50));
    }

    /** Writes LBAs 0..299 (SCO 1 holds 0..255 and is sealed), waits until SCO 1 is on the backend. */
    private LocalVolumeService writeAndUploadSco1(EngineConfig cfg) throws Exception {
        LocalVolumeService svc = new LocalVolumeService(store, cfg);
        svc.create("vol", new VolumeSpec(SIZE, CLUSTER, SCO_CLUSTERS * CLUSTER));
        LocalVolume v = svc.open("vol");
        for (int i = 0; i < WRITES; i++) {
            v.write((long) i * CLUSTER, ByteBuffer.wrap(pattern(i)), false);
        }
        // SCO 1 was queued when it was sealed, during the writes. With one SCO per TLog, TLog 1
        // follows it in the uploader's FIFO (and may fail for ever); else nothing else is queued.
        if (cfg.scosPerTlog() == 1) {
            assertTrue(tlogPutTried.await(10, TimeUnit.SECONDS), "the uploader reached TLog 1");
        } else {
            assertTrue(v.awaitUploads(Duration.ofSeconds(10)), "the uploads queued so far finish");
        }
        assertTrue(store.delegate().exists("vol", sco1Key()), "SCO 1 was uploaded");
        assertTrue(svc.scoCache().isUploaded("vol", sco1()), "and marked uploaded");
        assertEquals(sco1File(), svc.scoCache().file("vol", sco1()), "the path the test damages");
        return svc;
    }

    private static long sco1() {
        return ClusterLocation.of(1, 0, 0, 0);
    }

    private static String sco1Key() {
        return NamespaceLayout.scoKey(sco1());
    }

    private Path sco1File() {
        return tmp.resolve("node").resolve("sco").resolve("vol").resolve("00000001.00.sco");
    }

    /**
     * What a power loss may do to an uploaded SCO: other bytes in its local file, no marker.
     * Called while no service is open (the SCO cache reads the markers when it opens).
     */
    private void loseLocalCopyOfSco1() throws Exception {
        Path f = sco1File();
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(17L * CLUSTER);
            raf.write(new byte[CLUSTER * 3]);
        }
        assertTrue(Files.deleteIfExists(f.resolveSibling(f.getFileName() + ".uploaded")), "the marker existed");
    }

    private void assertAllWrites(LocalVolumeService svc) {
        LocalVolume v = svc.open("vol");
        byte[] got = new byte[CLUSTER];
        for (int i = 0; i < WRITES; i++) {
            v.read((long) i * CLUSTER, ByteBuffer.wrap(got));
            assertArrayEquals(pattern(i), got, "LBA " + i);
        }
    }

    @Test
    void aScoOfTheOpenTlogOnTheBackendKeepsItsWrites() throws Exception {
        writeAndUploadSco1(config(64)).crash();
        loseLocalCopyOfSco1();
        LocalVolumeService svc = new LocalVolumeService(store, config(64));
        try {
            assertAllWrites(svc);
            assertFalse(Files.exists(sco1File()), "the damaged local copy was dropped");
        } finally {
            svc.close();
        }
    }

    @Test
    void aBackendThatCannotAnswerStopsTheRestartWithoutCuttingAnything() throws Exception {
        writeAndUploadSco1(config(64)).crash();
        loseLocalCopyOfSco1();
        store.down(true);
        LocalVolumeService svc = new LocalVolumeService(store, config(64));
        try {
            VolumeException e = assertThrows(VolumeException.class, () -> svc.open("vol"));
            assertTrue(e.getMessage().contains("vol/" + sco1Key()) && e.getMessage().contains("cannot be checked"), e.getMessage());
        } finally {
            svc.close();
        }
        store.down(false);
        LocalVolumeService again = new LocalVolumeService(store, config(64));
        try {
            assertAllWrites(again);
        } finally {
            again.close();
        }
    }

    @Test
    void aScoOfTheOpenTlogThatDiffersOnTheBackendStillCutsTheHistory() throws Exception {
        writeAndUploadSco1(config(64)).crash();
        store.delegate().put("vol", sco1Key(), ByteBuffer.allocate(SCO_CLUSTERS * CLUSTER)); // same size, other bytes
        loseLocalCopyOfSco1();
        LocalVolumeService svc = new LocalVolumeService(store, config(64));
        try {
            LocalVolume v = svc.open("vol");
            byte[] got = new byte[CLUSTER];
            v.read(16L * CLUSTER, ByteBuffer.wrap(got));
            assertArrayEquals(pattern(16), got, "before the first lost cluster");
            for (int i = 17; i < WRITES; i++) {
                v.read((long) i * CLUSTER, ByteBuffer.wrap(got));
                assertArrayEquals(new byte[CLUSTER], got, "LBA " + i + " is after the cut: never written");
            }
        } finally {
            svc.close();
        }
    }

    @Test
    void aScoOfAnEarlierTlogOnTheBackendDoesNotStopTheVolume() throws Exception {
        tlogsFail = true;
        writeAndUploadSco1(config(1)).crash();
        loseLocalCopyOfSco1();
        LocalVolumeService svc = new LocalVolumeService(store, config(1));
        try {
            assertAllWrites(svc);
            tlogsFail = false;
            svc.open("vol").awaitUploads(Duration.ofSeconds(5));
            assertTrue(store.delegate().exists("vol", NamespaceLayout.tlogKey(1)), "TLog 1 uploaded after the restart");
        } finally {
            svc.close();
        }
    }

    @Test
    void aScoOfAnEarlierTlogMissingLocallyAndDifferentOnTheBackendRefusesTheRestart() throws Exception {
        tlogsFail = true;
        writeAndUploadSco1(config(1)).crash();
        store.delegate().put("vol", sco1Key(), ByteBuffer.allocate(10 * CLUSTER)); // wrong size
        loseLocalCopyOfSco1();
        LocalVolumeService svc = new LocalVolumeService(store, config(1));
        try {
            VolumeException e = assertThrows(VolumeException.class, () -> svc.open("vol"));
            assertTrue(e.getMessage().contains("00000001.00.sco") && e.getMessage().contains("SCO_SEALED"), e.getMessage());
        } finally {
            svc.close();
        }
    }

    @Test
    void afterACleanStopTheUploadOfAQueuedScoFindsItOnTheBackend() throws Exception {
        tlogsFail = true;
        writeAndUploadSco1(config(1)).close(); // clean: no checks at the restart; TLog 1 still to upload
        loseLocalCopyOfSco1();
        LocalVolumeService svc = new LocalVolumeService(store, config(1));
        try {
            tlogsFail = false;
            LocalVolume v = svc.open("vol");
            assertTrue(v.awaitUploads(Duration.ofSeconds(5)), "uploads finish");
            assertTrue(store.delegate().exists("vol", NamespaceLayout.tlogKey(1)), "TLog 1 uploaded: SCO 1 was found on the backend");
            assertFalse(Files.exists(sco1File()), "the damaged local copy was dropped");
            assertEquals(SCO_CLUSTERS * CLUSTER, store.delegate().stat("vol", sco1Key()).size());
            assertAllWrites(svc);
        } finally {
            svc.close();
        }
    }

    @Test
    void aScoWhoseMarkerWasLostIsMarkedUploadedAgainSoItCanBeEvicted() throws Exception {
        LocalVolumeService first = writeAndUploadSco1(config(1));
        assertTrue(first.open("vol").awaitUploads(Duration.ofSeconds(5)));
        assertTrue(store.delegate().exists("vol", NamespaceLayout.tlogKey(1)), "TLog 1 is on the backend: nothing queues SCO 1 again");
        first.close();
        Path marker = sco1File().resolveSibling("00000001.00.sco.uploaded");
        assertTrue(Files.deleteIfExists(marker), "the marker existed");
        LocalVolumeService svc = new LocalVolumeService(store, config(1));
        try {
            assertFalse(svc.scoCache().isUploaded("vol", sco1()));
            assertTrue(svc.open("vol").awaitUploads(Duration.ofSeconds(5)));
            assertTrue(svc.scoCache().isUploaded("vol", sco1()), "SCO 1 is found on the backend and may be evicted again");
            assertTrue(Files.exists(marker));
            assertAllWrites(svc);
        } finally {
            svc.close();
        }
    }

    private static byte[] pattern(int i) {
        byte[] b = new byte[CLUSTER];
        Arrays.fill(b, (byte) (i * 7 + 1));
        ByteBuffer.wrap(b).putInt(0, i).putInt(CLUSTER - 4, i * 31);
        return b;
    }
}
