package io.scoria.accelerator.volume;

import static io.scoria.backend.testing.ByteSearch.contains;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Volumes with a compression and encryption policy, on a backend decorated by the transform layer. */
class VolumeTransformsTest {
    private static final byte[] TEXT = "a line of guest file system text, repeated; ".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private final InMemoryObjectStore raw = new InMemoryObjectStore();
    private final KeyEncryptionKey kek = KeyEncryptionKey.random();

    private TransformingObjectStore transforming() {
        return new TransformingObjectStore(raw, new KeyRing(raw, KeyRing.DEFAULT_NAMESPACE, kek, List.of()), null,
                TransformPolicy.parse("lz4"));
    }

    private static byte[] text(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = TEXT[i % TEXT.length];
        }
        return b;
    }

    @Test
    void policyIsSetAtCreationShownAndAppliedToEveryBackendObject() {
        byte[] data = text(3 << 20);
        try (LocalVolumeService svc = new LocalVolumeService(transforming(), VolumeBasicsTest.config(dir.resolve("a")))) {
            VolumeInfo plain = svc.create("plain", new VolumeSpec(16 << 20, 4096, 1 << 20));
            assertEquals("lz4", plain.spec().compression(), "the backend's default");
            assertEquals("none", plain.spec().encryption());
            VolumeInfo secret = svc.create("secret", new VolumeSpec(16 << 20, 4096, 1 << 20, "zstd:1", "aes-256-gcm"));
            assertEquals("zstd:1", secret.spec().compression());
            assertEquals("aes-256-gcm", svc.info("secret").orElseThrow().spec().encryption());

            Volume v = svc.open("secret");
            v.write(0, ByteBuffer.wrap(data), true);
            v.flush();
            assertTrue(svc.awaitUploads(Duration.ofSeconds(30)));
            svc.makeTemplate("secret");
            VolumeInfo clone = svc.clone("secret", null, "secret-clone");
            assertEquals("aes-256-gcm", clone.spec().encryption(), "a clone keeps its parent's policy");
        }
        List<ObjectInfo> objects = raw.listAll("secret", "");
        assertTrue(objects.size() >= 3, "SCOs, TLogs and manifests on the backend: " + objects);
        for (ObjectInfo o : objects) {
            byte[] stored = raw.get("secret", o.key()).array();
            assertFalse(contains(stored, TEXT), o.key() + " holds plaintext");
        }

        try (LocalVolumeService fresh = new LocalVolumeService(transforming(), VolumeBasicsTest.config(dir.resolve("b")))) {
            assertArrayEquals(data, VolumeBasicsTest.read(fresh.open("secret-clone"), 0, data.length),
                    "a node without local state reads the volume back from the backend");
        }
    }

    @Test
    void encryptionWithoutATransformSectionIsRefused() {
        try (LocalVolumeService svc = new LocalVolumeService(raw, VolumeBasicsTest.config(dir))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> svc.create("vm1", new VolumeSpec(16 << 20, 4096, 1 << 20, null, "aes-256-gcm")));
            assertTrue(e.getMessage().contains("backend.transform"), e.getMessage());
            assertFalse(raw.namespaceExists("vm1"));
            assertThrows(IllegalArgumentException.class,
                    () -> svc.create("vm2", new VolumeSpec(16 << 20, 4096, 1 << 20, "snappy", null)));
            assertEquals("none", svc.create("vm3", VolumeSpec.ofSize(16 << 20)).spec().compression());
        }
    }
}
