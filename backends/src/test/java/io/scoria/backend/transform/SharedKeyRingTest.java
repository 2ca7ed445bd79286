package io.scoria.backend.transform;

import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TransformingObjectStore#createCopyNamespace}: the namespace of a copy of a volume (a
 * replica) keeps the volume's record when the key ring is shared with the volume's site, so both
 * copies open with one data key and one delete shreds both; with a key ring of its own the copy
 * gets a data key of its own.
 */
class SharedKeyRingTest {
    private static final byte[] DATA = "a guest's block ".repeat(4096).getBytes(StandardCharsets.US_ASCII);
    private final InMemoryObjectStore siteA = new InMemoryObjectStore("a");
    private final InMemoryObjectStore siteB = new InMemoryObjectStore("b");
    private final InMemoryObjectStore sharedKeys = new InMemoryObjectStore("keys");
    private final KeyEncryptionKey kek = KeyEncryptionKey.random();

    private TransformingObjectStore site(InMemoryObjectStore backend, InMemoryObjectStore keys, String defaultPolicy) {
        return new TransformingObjectStore(backend, new KeyRing(keys, KeyRing.DEFAULT_NAMESPACE, kek, List.of()), null,
                TransformPolicy.parse(defaultPolicy));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void aCopyOnASiteSharingTheKeyRingKeepsTheVolumesKeyAndDiesWithIt() {
        TransformingObjectStore a = site(siteA, sharedKeys, "none");
        a.createNamespace("vm1", TransformPolicy.parse("zstd:3+aes-256-gcm"));
        a.put("vm1", "sco/1", ByteBuffer.wrap(DATA));
        TransformingObjectStore b = site(siteB, sharedKeys, "lz4");

        assertTrue(b.createCopyNamespace("vm1"));
        assertFalse(b.createCopyNamespace("vm1"), "exists already");
        assertEquals(TransformPolicy.parse("zstd:3+aes-256-gcm"), b.policyOf("vm1"), "the volume's own policy, not B's default");
        b.put("vm1", "sco/1", a.get("vm1", "sco/1"));
        assertArrayEquals(DATA, bytes(b.get("vm1", "sco/1")));
        assertArrayEquals(DATA, bytes(site(siteA, sharedKeys, "none").get("vm1", "sco/1")),
                "the source still opens: its key was not replaced");

        a.deleteNamespace("vm1");
        assertThrows(KeyDestroyedException.class, () -> site(siteB, sharedKeys, "lz4").get("vm1", "sco/1"),
                "the source's delete shreds the copy on B");
    }

    @Test
    void aCopyOnASiteWithItsOwnKeyRingGetsItsOwnKeyAndOutlivesTheSource() {
        TransformingObjectStore a = site(siteA, sharedKeys, "lz4+aes-256-gcm");
        a.createNamespace("vm1");
        a.put("vm1", "sco/1", ByteBuffer.wrap(DATA));
        InMemoryObjectStore keysB = new InMemoryObjectStore("keys-b");
        TransformingObjectStore b = site(siteB, keysB, "zstd:1+aes-256-gcm");
        assertTrue(b.createCopyNamespace("vm1"));
        assertEquals(TransformPolicy.parse("zstd:1+aes-256-gcm"), b.policyOf("vm1"), "B's default policy");
        b.put("vm1", "sco/1", a.get("vm1", "sco/1"));

        a.deleteNamespace("vm1");
        assertArrayEquals(DATA, bytes(site(siteB, keysB, "none").get("vm1", "sco/1")),
                "the copy has a key of its own and stays readable until it is deleted on B");
        b.deleteNamespace("vm1");
        assertFalse(keysB.exists(KeyRing.DEFAULT_NAMESPACE, "volume/vm1"));
    }
}
