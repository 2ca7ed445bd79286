package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wipe on release: a volume filled with a known pattern is deleted; afterwards no file of the node's
 * flash (SCO cache and its spare files, cluster cache slab, volume directories) holds the pattern,
 * the backend holds no object of its namespace, and new volumes that reuse the recycled SCO files
 * read back only their own bytes and zeros.
 */
class WipeOnDeleteTest {
    private static final int CLUSTER = 4096;
    private static final int SCO = 1 << 20;
    private static final int SIZE = 32 << 20;
    private static final byte[] PATTERN = "SCORIA-WIPE-ME!!".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    private EngineConfig config() {
        // 4 SCOs of local SCO cache: uploaded SCOs are evicted and their files become spares
        return EngineConfig.defaults(tmp.resolve("node")).withScoCacheBytes(4L * SCO).withClusterCacheBytes(8L << 20)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(50));
    }

    @Test
    void aDeletedVolumesBytesAreNowhereOnFlashNorOnTheBackendNorInLaterVolumes() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalVolumeService svc = new LocalVolumeService(store, config())) {
            svc.create("secret", new VolumeSpec(SIZE, CLUSTER, SCO));
            LocalVolume v = svc.open("secret");
            int clusters = 12 * SCO / CLUSTER;
            for (int c = 0; c < clusters; c++) {
                v.write((long) c * CLUSTER, patternCluster(c), false);
            }
            assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
            for (int c = 0; c < 64; c++) { // read some back so that they are in the cluster cache too
                v.read((long) c * CLUSTER, ByteBuffer.allocate(CLUSTER));
            }
            assertFalse(flashFilesWithPattern().isEmpty(), "the test sees the pattern on flash before the delete");
            assertFalse(svc.wipeCheck("other").namespaceExists());
            assertThrows(VolumeConflictException.class, () -> svc.wipeCheck("secret"), "a live volume is no wipe check's");

            svc.delete("secret");

            assertEquals(List.of(), flashFilesWithPattern(), "no file on flash holds the deleted volume's bytes");
            WipeReport report = svc.wipeCheck("secret");
            assertTrue(report.clean(), "nothing of the deleted volume is left: " + report);
            assertEquals(List.of(), store.listNamespaces().stream().filter(n -> n.equals("secret")).toList());

            // later volumes take the recycled SCO files and cache slots; every byte they can read is theirs or zero
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < 3; i++) {
                String name = "later" + i;
                svc.create(name, new VolumeSpec(SIZE, CLUSTER, SCO));
                LocalVolume w = svc.open(name);
                byte[] data = new byte[SCO / 4];
                for (int off = 0; off < 6 * SCO; off += data.length) {
                    r.nextBytes(data);
                    w.write(off, ByteBuffer.wrap(data), false);
                }
                w.flush();
                byte[] all = new byte[SIZE];
                for (int off = 0; off < SIZE; off += 4 << 20) {
                    w.read(off, ByteBuffer.wrap(all, off, 4 << 20));
                }
                assertEquals(-1, indexOf(all, all.length), "volume " + name + " reads none of the deleted volume's bytes");
            }
            assertEquals(List.of(), flashFilesWithPattern(), "nor does any file on flash after the reuse");
        }
    }

    private static ByteBuffer patternCluster(int c) {
        ByteBuffer b = ByteBuffer.allocate(CLUSTER);
        while (b.hasRemaining()) {
            b.put(PATTERN);
        }
        b.putInt(PATTERN.length, c); // every cluster differs (no dedup), and every one still holds the pattern
        return b.flip();
    }

    /** Files under the node's data directory that hold the pattern. */
    private List<Path> flashFilesWithPattern() throws IOException {
        List<Path> found = new ArrayList<>();
        try (var walk = Files.walk(tmp.resolve("node"))) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                if (contains(p)) {
                    found.add(p);
                }
            }
        }
        return found;
    }

    private static boolean contains(Path f) throws IOException {
        byte[] buf = new byte[1 << 20];
        int kept = 0;
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf, kept, buf.length - kept)) > 0; ) {
                int len = kept + n;
                if (indexOf(buf, len) >= 0) {
                    return true;
                }
                kept = Math.min(PATTERN.length - 1, len);
                System.arraycopy(buf, len - kept, buf, 0, kept);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return false; // deleted while walking
        }
        return false;
    }

    private static int indexOf(byte[] a, int len) {
        outer:
        for (int i = 0; i + PATTERN.length <= len; i++) {
            for (int j = 0; j < PATTERN.length; j++) {
                if (a[i + j] != PATTERN[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
