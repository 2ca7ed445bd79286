package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.config.Secret;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.backend.transform.WrongKeyException;
import io.scoria.sco.ClusterLocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static io.scoria.backend.testing.ByteSearch.contains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local flash of encrypted volumes: no file of this node holds what the guest wrote, reads and
 * restarts see it all, volumes without encryption keep the old layout, and a key that does not
 * open the volume is an error naming the volume, never the key.
 */
class EncryptedLocalFlashTest {
    private static final int CLUSTER = 4096;
    private static final int SCO = 1 << 20;
    private static final byte[] NEEDLE = "guest secret, cluster ".getBytes(StandardCharsets.US_ASCII);
    private static final String KEK_A = Base64.getEncoder().encodeToString(bytes(32, 1));
    private static final String KEK_B = Base64.getEncoder().encodeToString(bytes(32, 2));

    @TempDir
    Path dir;

    private final InMemoryObjectStore raw = new InMemoryObjectStore();

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i * 7);
        }
        return b;
    }

    private TransformingObjectStore store(String kek) {
        KeyEncryptionKey k = kek == null ? null : KeyEncryptionKey.of(Secret.of(kek), "keyEncryptionKey");
        return new TransformingObjectStore(raw, new KeyRing(raw, KeyRing.DEFAULT_NAMESPACE, k, List.of()), null,
                TransformPolicy.parse("lz4"));
    }

    private LocalVolumeService service(String kek, Path node) {
        return new LocalVolumeService(store(kek), VolumeBasicsTest.config(node));
    }

    private static byte[] cluster(int i) {
        byte[] b = new byte[CLUSTER];
        byte[] text = ("guest secret, cluster " + i + "; ").getBytes(StandardCharsets.US_ASCII);
        for (int p = 0; p < CLUSTER; p++) {
            b[p] = text[p % text.length];
        }
        return b;
    }

    private static byte[] clusters(int count) {
        ByteBuffer all = ByteBuffer.allocate(count * CLUSTER);
        for (int i = 0; i < count; i++) {
            all.put(cluster(i));
        }
        return all.array();
    }

    /** The files under {@code root} that hold {@link #NEEDLE}. */
    private static List<Path> filesHoldingThePattern(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                if (contains(Files.readAllBytes(f), NEEDLE)) {
                    found.add(f);
                }
            }
        }
        return found;
    }

    private static long salt(Path scoFile) throws IOException {
        try (FileChannel ch = FileChannel.open(scoFile, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, 24);
            return b.flip().getLong();
        }
    }

    @Test
    void noLocalFileOfAnEncryptedVolumeHoldsWhatWasWrittenAndReadsReturnIt() throws IOException {
        Path node = dir.resolve("a");
        byte[] data = clusters(3 * 256 + 40); // three sealed SCOs and an open one
        byte[] partial = "guest secret, cluster partial write".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(partial, 0, data, 5000, partial.length);
        try (LocalVolumeService svc = service(KEK_A, node)) {
            svc.create("secret", new VolumeSpec(16 << 20, CLUSTER, SCO, null, "aes-256-gcm"));
            LocalVolume v = svc.open("secret");
            v.write(0, ByteBuffer.wrap(data, 0, 5000), false);
            v.write(5000, ByteBuffer.wrap(partial), false); // read-modify-write of one cluster
            v.write(5000 + partial.length, ByteBuffer.wrap(data, 5000 + partial.length, data.length - 5000 - partial.length),
                    false);
            v.flush();
            assertArrayEquals(data, VolumeBasicsTest.read(v, 0, data.length), "read from the local SCO files");
            assertTrue(svc.awaitUploads(Duration.ofSeconds(30)));
            assertArrayEquals(data, VolumeBasicsTest.read(v, 0, data.length));
            byte[] first = Files.readAllBytes(svc.scoCache().file("secret", ClusterLocation.of(1, 0, 0, 0)));
            assertEquals("SCOE", new String(first, 0, 4, StandardCharsets.US_ASCII), "the encrypted local format");
            assertTrue(svc.scoCache().isUploaded("secret", ClusterLocation.of(1, 0, 0, 0)));

            svc.makeTemplate("secret");
            svc.clone("secret", null, "secret-clone");
            assertArrayEquals(data, VolumeBasicsTest.read(svc.open("secret-clone"), 0, data.length),
                    "a clone reads its parent's local SCO files through the parent's key");
            assertEquals(List.of(), filesHoldingThePattern(node));
        }
        assertEquals(List.of(), filesHoldingThePattern(node), "nor after a clean close");
        try (LocalVolumeService fresh = service(KEK_A, dir.resolve("b"))) {
            assertArrayEquals(data, VolumeBasicsTest.read(fresh.open("secret"), 0, data.length),
                    "the uploads were the plaintext SCOs, which the backend's transform sealed");
        }
    }

    @Test
    void anUnencryptedVolumeKeepsTheOldLocalLayout() throws IOException {
        Path node = dir.resolve("a");
        byte[] data = clusters(300);
        try (LocalVolumeService svc = service(KEK_A, node)) {
            svc.create("plain", new VolumeSpec(16 << 20, CLUSTER, SCO));
            LocalVolume v = svc.open("plain");
            v.write(0, ByteBuffer.wrap(data), false);
            v.flush();
            byte[] first = Files.readAllBytes(svc.scoCache().file("plain", ClusterLocation.of(1, 0, 0, 0)));
            assertEquals(SCO, first.length, "no header");
            assertEquals(ByteBuffer.wrap(data, 0, SCO), ByteBuffer.wrap(first), "the clusters as written");
            assertFalse(filesHoldingThePattern(node).isEmpty(), "the scan of the other tests finds clear data");
            assertArrayEquals(data, VolumeBasicsTest.read(v, 0, data.length));
        }
    }

    @Test
    void aCrashedEncryptedVolumeReopensWithEveryAcknowledgedWriteUnderAFreshSalt() throws IOException {
        Path node = dir.resolve("a");
        int n = 300; // SCO 1 sealed (256 clusters), SCO 2 open with 44
        LocalVolumeService svc = service(KEK_A, node);
        svc.create("secret", new VolumeSpec(16 << 20, CLUSTER, SCO, null, "aes-256-gcm"));
        LocalVolume v = svc.open("secret");
        for (int i = 0; i < n; i++) {
            v.write((long) i * CLUSTER, ByteBuffer.wrap(cluster(i)), false);
            if (i == 150) {
                v.flush();
            }
        }
        Path open = svc.scoCache().file("secret", ClusterLocation.of(2, 0, 0, 0));
        long before = salt(open);
        svc.crash();

        LocalVolumeService again = service(KEK_A, node);
        LocalVolume w = again.open("secret");
        assertArrayEquals(clusters(n), VolumeBasicsTest.read(w, 0, n * CLUSTER), "every acknowledged write");
        assertNotEquals(before, salt(open), "the open SCO was copied under a new salt before appends go on");
        for (int i = n; i < n + 50; i++) {
            w.write((long) i * CLUSTER, ByteBuffer.wrap(cluster(i)), false);
        }
        again.crash();

        try (LocalVolumeService third = service(KEK_A, node)) {
            assertArrayEquals(clusters(n + 50), VolumeBasicsTest.read(third.open("secret"), 0, (n + 50) * CLUSTER));
            assertEquals(List.of(), filesHoldingThePattern(node));
            try (Stream<Path> files = Files.list(open.getParent())) {
                assertFalse(files.anyMatch(f -> f.toString().endsWith(".rekey")));
            }
        }
    }

    @Test
    void aWrongOrMissingKeyIsAnErrorNamingTheVolumeNeverTheKey() {
        Path node = dir.resolve("a");
        try (LocalVolumeService svc = service(KEK_A, node)) {
            svc.create("secret", new VolumeSpec(16 << 20, CLUSTER, SCO, null, "aes-256-gcm"));
            svc.open("secret").write(0, ByteBuffer.wrap(cluster(0)), true);
        }
        for (String kek : new String[] {KEK_B, null}) {
            try (LocalVolumeService other = service(kek, node)) {
                RuntimeException e = assertThrows(RuntimeException.class, () -> other.open("secret"));
                WrongKeyException wrong = null;
                for (Throwable t = e; t != null && wrong == null; t = t.getCause()) {
                    wrong = t instanceof WrongKeyException w ? w : null;
                }
                assertNotNull(wrong, "a WrongKeyException: " + e);
                assertEquals("secret", wrong.namespace());
                for (Throwable t = e; t != null; t = t.getCause()) {
                    String m = String.valueOf(t.getMessage());
                    assertTrue(!m.contains(KEK_A) && !m.contains(KEK_B), m);
                }
                assertTrue(e.getMessage().contains("secret"), e.getMessage());
            }
        }
        try (LocalVolumeService back = service(KEK_A, node)) {
            assertArrayEquals(cluster(0), VolumeBasicsTest.read(back.open("secret"), 0, CLUSTER), "the right key opens it");
        }
    }
}
