package io.scoria.backend.transform;

import static io.scoria.backend.testing.ByteSearch.contains;

import io.scoria.backend.CorruptDataException;
import io.scoria.backend.config.Secret;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformingObjectStoreTest {
    private static final int CHUNK = 1 << ObjectCodec.CHUNK_SHIFT;
    private static final String NS = "vm1";
    private static final byte[] PATTERN = "scoria-plaintext-pattern-".getBytes(StandardCharsets.US_ASCII);

    private final InMemoryObjectStore backend = new InMemoryObjectStore();
    private final KeyEncryptionKey kek = KeyEncryptionKey.random();

    private TransformingObjectStore store(KeyEncryptionKey current, List<KeyEncryptionKey> previous, String policy) {
        KeyRing ring = new KeyRing(backend, KeyRing.DEFAULT_NAMESPACE, current, previous);
        return new TransformingObjectStore(backend, ring, null, TransformPolicy.parse(policy));
    }

    /** 4 KiB blocks: zeros, repeated text and random bytes in turn (what VM disks hold). */
    static byte[] mixed(int size, long seed) {
        byte[] b = new byte[size];
        Random r = new Random(seed);
        for (int at = 0, block = 0; at < size; at += 4096, block++) {
            int len = Math.min(4096, size - at);
            switch (block % 3) {
                case 0 -> { }
                case 1 -> {
                    for (int i = 0; i < len; i++) {
                        b[at + i] = PATTERN[i % PATTERN.length];
                    }
                }
                default -> {
                    byte[] rnd = new byte[len];
                    r.nextBytes(rnd);
                    System.arraycopy(rnd, 0, b, at, len);
                }
            }
        }
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4", "zstd:1", "zstd:19", "none+aes-256-gcm", "lz4+aes-256-gcm", "zstd:3+aes-256-gcm"})
    void roundTripShrinksMixedContentAndHidesPlaintext(String policy) {
        TransformingObjectStore s = store(kek, List.of(), policy);
        s.createNamespace(NS);
        byte[] data = mixed(4 << 20, 1);
        s.put(NS, "sco/1", ByteBuffer.wrap(data));
        assertArrayEquals(data, bytes(s.get(NS, "sco/1")));
        assertEquals(data.length, s.stat(NS, "sco/1").size());
        byte[] stored = bytes(backend.get(NS, "sco/1"));
        TransformPolicy p = TransformPolicy.parse(policy);
        if (p.compression() != Compression.NONE) {
            assertTrue(stored.length < data.length * 0.5, policy + " stored " + stored.length + " of " + data.length);
        }
        assertEquals(p.encrypted(), !contains(stored, PATTERN), policy + ": plaintext visible in the stored object");
    }

    @Test
    void rangedReadsAtEveryChunkBoundary() {
        TransformingObjectStore s = store(kek, List.of(), "lz4+aes-256-gcm");
        s.createNamespace(NS);
        int size = 3 * CHUNK + 4097;
        byte[] data = mixed(size, 2);
        s.put(NS, "r", ByteBuffer.wrap(data));
        int[] offsets = {0, 1, 4095, 4096, CHUNK - 4096, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK - 1, 2 * CHUNK,
                3 * CHUNK - 1, 3 * CHUNK, size - 4096, size - 1};
        for (int off : offsets) {
            for (int len : new int[] {1, 2, 4096, CHUNK, CHUNK + 1, 2 * CHUNK + 3}) {
                if (off + len > size) {
                    continue;
                }
                assertArrayEquals(Arrays.copyOfRange(data, off, off + len), bytes(s.get(NS, "r", off, len)),
                        "offset " + off + " length " + len);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> s.get(NS, "r", size - 1, 2));
        assertThrows(IllegalArgumentException.class, () -> s.get(NS, "r", size + 1, 1));
    }

    @Test
    void aFourKibReadFetchesOneChunk() {
        TransformingObjectStore s = store(kek, List.of(), "zstd:1+aes-256-gcm");
        s.createNamespace(NS);
        byte[] data = mixed(4 << 20, 3);
        s.put(NS, "sco/2", ByteBuffer.wrap(data));
        s.get(NS, "sco/2", 0, 1);
        long before = backend.metrics().bytesRead();
        assertArrayEquals(Arrays.copyOfRange(data, 2 * CHUNK + 8192, 2 * CHUNK + 12288),
                bytes(s.get(NS, "sco/2", 2 * CHUNK + 8192, 4096)));
        long fetched = backend.metrics().bytesRead() - before;
        assertTrue(fetched <= CHUNK + ChunkCipher.TAG_BYTES, "a 4 KiB read fetched " + fetched + " bytes");
    }

    @Test
    void incompressibleChunksAreStoredRaw() {
        TransformingObjectStore s = store(kek, List.of(), "zstd:3");
        s.createNamespace(NS);
        byte[] random = new byte[4 * CHUNK];
        new Random(4).nextBytes(random);
        s.put(NS, "rnd", ByteBuffer.wrap(random));
        ObjectHeader h = ObjectHeader.parse(backend.get(NS, "rnd", 0, (int) ObjectHeader.indexEnd(4)), "rnd");
        for (int i = 0; i < 4; i++) {
            assertEquals(Compression.NONE.mode(), h.modes[i], "chunk " + i + " mode");
            assertEquals(CHUNK, h.storedLengths[i]);
        }
        assertEquals(random.length + ObjectHeader.indexEnd(4), backend.stat(NS, "rnd").size());
        assertArrayEquals(random, bytes(s.get(NS, "rnd")));
    }

    @Test
    void alteredChunksAndHeadersAreTypedErrors() {
        TransformingObjectStore s = store(kek, List.of(), "lz4+aes-256-gcm");
        s.createNamespace(NS);
        s.put(NS, "t", ByteBuffer.wrap(mixed(3 * CHUNK, 5)));
        int dataStart = (int) ObjectHeader.indexEnd(3);
        backend.corrupt(NS, "t", dataStart + 10);
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> s.get(NS, "t", 5, 100));
        assertTrue(e.getMessage().contains("chunk 0") && e.getMessage().contains("vm1/t"), e.getMessage());
        assertArrayEquals(Arrays.copyOfRange(mixed(3 * CHUNK, 5), CHUNK, 2 * CHUNK), bytes(s.get(NS, "t", CHUNK, CHUNK)),
                "the other chunks still read");
        assertThrows(CorruptDataException.class, () -> s.get(NS, "t"));

        s.put(NS, "h", ByteBuffer.wrap(mixed(CHUNK, 6)));
        backend.corrupt(NS, "h", 13);
        assertThrows(CorruptDataException.class, () -> s.get(NS, "h", 0, 10));

        TransformingObjectStore plain = store(kek, List.of(), "zstd:1");
        plain.createNamespace("vm2");
        plain.put("vm2", "c", ByteBuffer.wrap(mixed(2 * CHUNK, 7)));
        backend.corrupt("vm2", "c", (int) ObjectHeader.indexEnd(2) + 3);
        assertThrows(CorruptDataException.class, () -> plain.get("vm2", "c", 0, 4096));
    }

    @Test
    void chunksCannotBeSwappedBetweenObjectsOrNames() {
        TransformingObjectStore s = store(kek, List.of(), "none+aes-256-gcm");
        s.createNamespace(NS);
        byte[] a = mixed(2 * CHUNK, 8);
        s.put(NS, "sco/a", ByteBuffer.wrap(a));
        backend.put(NS, "sco/b", backend.get(NS, "sco/a"));
        assertThrows(CorruptDataException.class, () -> s.get(NS, "sco/b"), "an object copied under another name");

        byte[] stored = bytes(backend.get(NS, "sco/a"));
        int start = (int) ObjectHeader.indexEnd(2);
        int len = CHUNK + ChunkCipher.TAG_BYTES;
        byte[] swapped = stored.clone();
        System.arraycopy(stored, start, swapped, start + len, len);
        System.arraycopy(stored, start + len, swapped, start, len);
        backend.put(NS, "sco/a", ByteBuffer.wrap(swapped));
        assertThrows(CorruptDataException.class, () -> s.get(NS, "sco/a", 0, 10), "chunks swapped inside an object");
    }

    @Test
    void wrongKeyEncryptionKeyNamesTheVolumeNeverTheKey() {
        String secret = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        KeyEncryptionKey right = KeyEncryptionKey.of(Secret.of(secret), "keyEncryptionKey");
        TransformingObjectStore s = store(right, List.of(), "lz4+aes-256-gcm");
        s.createNamespace(NS);
        s.put(NS, "sco/1", ByteBuffer.wrap(mixed(CHUNK, 9)));

        TransformingObjectStore other = store(KeyEncryptionKey.random(), List.of(), "lz4+aes-256-gcm");
        WrongKeyException e = assertThrows(WrongKeyException.class, () -> other.get(NS, "sco/1"));
        assertEquals(NS, e.namespace());
        assertTrue(e.getMessage().contains("volume 'vm1'"), e.getMessage());
        assertFalse(e.getMessage().contains(secret), "the message must not show the key");
        assertFalse(right.toString().contains(secret), "nor may toString");
    }

    @Test
    void objectOfARecreatedVolumeIsAWrongKey() {
        TransformingObjectStore s = store(kek, List.of(), "lz4+aes-256-gcm");
        s.createNamespace(NS);
        s.put(NS, "sco/1", ByteBuffer.wrap(mixed(CHUNK, 10)));
        ByteBuffer old = backend.get(NS, "sco/1");
        s.deleteNamespace(NS);
        s.createNamespace(NS);
        backend.put(NS, "sco/1", old);
        WrongKeyException e = assertThrows(WrongKeyException.class, () -> s.get(NS, "sco/1"));
        assertFalse(e instanceof KeyDestroyedException);
        assertTrue(e.getMessage().contains("vm1"), e.getMessage());
    }

    @Test
    void objectsWithoutHeaderStayReadable() {
        backend.createNamespace("old");
        byte[] legacy = mixed(3 * CHUNK + 5, 11);
        backend.put("old", "sco/1", ByteBuffer.wrap(legacy));
        backend.put("old", "tiny", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        backend.put("old", "empty", ByteBuffer.allocate(0));
        TransformingObjectStore s = store(kek, List.of(), "zstd:1+aes-256-gcm");
        assertEquals(TransformPolicy.NONE, s.policyOf("old"));
        assertArrayEquals(legacy, bytes(s.get("old", "sco/1")));
        assertArrayEquals(Arrays.copyOfRange(legacy, CHUNK - 3, CHUNK + 4096), bytes(s.get("old", "sco/1", CHUNK - 3, 4099)));
        assertArrayEquals(new byte[] {2, 3}, bytes(s.get("old", "tiny", 1, 2)));
        assertEquals(0, s.get("old", "empty").remaining());
        assertEquals(legacy.length, s.stat("old", "sco/1").size());
        s.put("old", "sco/2", ByteBuffer.wrap(legacy));
        assertArrayEquals(legacy, bytes(backend.get("old", "sco/2")), "a namespace without a policy is written as is");
    }

    @Test
    void deletingTheVolumeShredsEveryCopyOfItsObjects() {
        TransformingObjectStore s = store(kek, List.of(), "lz4+aes-256-gcm");
        s.createNamespace(NS);
        byte[] data = mixed(2 * CHUNK, 12);
        s.put(NS, "sco/1", ByteBuffer.wrap(data));
        InMemoryObjectStore replica = new InMemoryObjectStore("replica");
        replica.createNamespace(NS);
        replica.put(NS, "sco/1", backend.get(NS, "sco/1"));
        TransformingObjectStore replicaView = new TransformingObjectStore(replica, s.keyRing(), null,
                TransformPolicy.NONE);
        assertArrayEquals(data, bytes(replicaView.get(NS, "sco/1")), "the copy reads while the volume lives");

        s.deleteNamespace(NS);
        KeyDestroyedException e = assertThrows(KeyDestroyedException.class, () -> replicaView.get(NS, "sco/1"));
        assertTrue(e.getMessage().contains("vm1"), e.getMessage());
        TransformingObjectStore restarted = store(kek, List.of(), "lz4+aes-256-gcm");
        TransformingObjectStore restartedReplica = new TransformingObjectStore(replica, restarted.keyRing(), null,
                TransformPolicy.NONE);
        assertThrows(KeyDestroyedException.class, () -> restartedReplica.get(NS, "sco/1", 0, 4096),
                "a fresh process with the same KEK cannot read it either");
        assertFalse(contains(bytes(replica.get(NS, "sco/1")), PATTERN));
    }

    @Test
    void rotationRewrapsDataKeysWithoutRewritingData() {
        TransformingObjectStore s = store(kek, List.of(), "zstd:1+aes-256-gcm");
        s.createNamespace(NS);
        byte[] data = mixed(CHUNK, 13);
        s.put(NS, "sco/1", ByteBuffer.wrap(data));
        byte[] storedBefore = bytes(backend.get(NS, "sco/1"));

        KeyEncryptionKey next = KeyEncryptionKey.random();
        TransformingObjectStore rotating = store(next, List.of(kek), "zstd:1+aes-256-gcm");
        assertEquals(1, rotating.keyRing().rotate().rewrapped());
        assertEquals(0, rotating.keyRing().rotate().rewrapped(), "a second rotation has nothing left to do");
        assertArrayEquals(storedBefore, bytes(backend.get(NS, "sco/1")), "data objects are not rewritten");

        TransformingObjectStore onlyNew = store(next, List.of(), "zstd:1+aes-256-gcm");
        assertArrayEquals(data, bytes(onlyNew.get(NS, "sco/1")));
        TransformingObjectStore onlyOld = store(kek, List.of(), "zstd:1+aes-256-gcm");
        assertThrows(WrongKeyException.class, () -> onlyOld.get(NS, "sco/1"), "the old KEK is retired");
    }

    @Test
    void policyPerNamespace() {
        TransformingObjectStore s = store(kek, List.of(), "lz4");
        s.createNamespace("vm-default");
        s.createNamespace("vm-secret", TransformPolicy.parse("zstd:5+aes-256-gcm"));
        s.createNamespace("vm-plain", TransformPolicy.NONE);
        assertEquals("lz4+none", s.policyOf("vm-default").toString());
        assertEquals("zstd:5+aes-256-gcm", s.policyOf("vm-secret").toString());
        assertEquals(TransformPolicy.NONE, s.policyOf("vm-plain"));
        assertFalse(s.listNamespaces().contains(KeyRing.DEFAULT_NAMESPACE), "the key ring is not a volume");
    }

    @Test
    void policiesParseAndRefuseNonsense() {
        assertEquals("zstd:3+none", TransformPolicy.parse("zstd").toString());
        assertEquals("lz4+aes-256-gcm", TransformPolicy.parse("LZ4+AES-256-GCM").toString());
        assertThrows(IllegalArgumentException.class, () -> TransformPolicy.parse("zstd:99"));
        assertThrows(IllegalArgumentException.class, () -> TransformPolicy.parse("snappy"));
        assertThrows(IllegalArgumentException.class, () -> TransformPolicy.parse("lz4+rot13"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeyEncryptionKey.of(Secret.of("too-short-secret"), "backend.transform.keyEncryptionKey"));
        assertFalse(e.getMessage().contains("too-short-secret"), e.getMessage());
    }

    @Test
    void maxObjectSizeLeavesRoomForHeaderIndexAndTags() {
        for (long max : new long[] {Long.MAX_VALUE, 5L << 40, 5L << 30, 64L << 20}) {
            InMemoryObjectStore under = new InMemoryObjectStore("max", max);
            TransformingObjectStore s = new TransformingObjectStore(under,
                    new KeyRing(under, KeyRing.DEFAULT_NAMESPACE, kek, List.of()), null, TransformPolicy.NONE);
            long cap = s.capabilities().maxObjectSize();
            assertTrue(cap > (64L << 20) - (1 << 20) && cap < max, max + " -> " + cap);
            assertTrue(ObjectCodec.maxStoredLength(cap) <= Math.min(max, Integer.MAX_VALUE - 64L), max + " -> " + cap);
        }
    }
}
