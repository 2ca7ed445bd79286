package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.ClusterLocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A read that finds a local SCO file whose bytes do not match the LBA's CRC: the SCO was
 * evicted and its file recycled for a new SCO between the lookup and the read (or the local
 * copy is damaged). An uploaded SCO is then read from the backend; one that is not on the
 * backend fails with a CRC error, never with the wrong bytes.
 */
class LocalScoMismatchReadTest {
    private static final int CLUSTER = 4096;

    @TempDir
    Path tmp;

    private final FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());

    private LocalVolumeService service() {
        return new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node")).withCacheMode(CacheMode.NO_CACHE)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(50)));
    }

    private static byte[] pattern(int i) {
        byte[] b = new byte[CLUSTER];
        Arrays.fill(b, (byte) ('a' + i));
        return b;
    }

    private static void overwriteCluster(Path sco, int offset) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(sco.toFile(), "rw")) {
            f.seek((long) offset * CLUSTER);
            f.write(pattern(25));
        }
    }

    @Test
    void anUploadedScoWhoseLocalBytesChangedIsReadFromTheBackend() throws Exception {
        try (LocalVolumeService svc = service()) {
            svc.create("vol", new VolumeSpec(4 << 20, CLUSTER, 1 << 20));
            LocalVolume v = svc.open("vol");
            for (int i = 0; i < 3; i++) {
                v.write((long) i * CLUSTER, ByteBuffer.wrap(pattern(i)), false);
            }
            v.snapshot("s1"); // seals SCO 1 and its TLog: both are uploaded
            assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
            overwriteCluster(svc.scoCache().file("vol", ClusterLocation.of(1, 0, 0, 0)), 1);
            byte[] got = new byte[CLUSTER];
            v.read(CLUSTER, ByteBuffer.wrap(got));
            assertArrayEquals(pattern(1), got, "the backend's copy, not the recycled local bytes");
        }
    }

    @Test
    void aScoOnlyOnLocalFlashWithChangedBytesFailsWithACrcError() throws Exception {
        store.failWhen(c -> c.op() == FaultInjectingStore.Op.PUT && c.key() != null && !c.key().startsWith("manifest/"));
        LocalVolumeService svc = service();
        try {
            svc.create("vol", new VolumeSpec(4 << 20, CLUSTER, 1 << 20));
            LocalVolume v = svc.open("vol");
            for (int i = 0; i < 3; i++) {
                v.write((long) i * CLUSTER, ByteBuffer.wrap(pattern(i)), false);
            }
            overwriteCluster(svc.scoCache().file("vol", ClusterLocation.of(1, 0, 0, 0)), 2);
            CorruptDataException e = assertThrows(CorruptDataException.class,
                    () -> v.read(2L * CLUSTER, ByteBuffer.wrap(new byte[CLUSTER])));
            assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
        } finally {
            svc.crash();
        }
    }
}
