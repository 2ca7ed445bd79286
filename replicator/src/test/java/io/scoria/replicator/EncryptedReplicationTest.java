package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.KeyDestroyedException;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replication of a compressed and encrypted volume: the job reads through the source's transform
 * and writes through the target's, so the replica holds ciphertext that opens with the right key.
 * With a key ring shared by both sites, the replica keeps the volume's own data key (the job's
 * namespace create does not replace it, which would make the source unreadable) and the source's
 * delete shreds the replica; with a ring per site the replica has a key of its own and outlives
 * the source until it is deleted on its site.
 */
class EncryptedReplicationTest {
    private static final byte[] MAGIC = {(byte) 0x89, 'S', 'C', 'X', 'F', '\r', '\n', 0x1a};

    @TempDir
    Path tmp;

    private final InMemoryObjectStore rawA = new InMemoryObjectStore("a");
    private final InMemoryObjectStore rawB = new InMemoryObjectStore("b");
    private final InMemoryObjectStore sharedRing = new InMemoryObjectStore("keys");
    private final KeyEncryptionKey kek = KeyEncryptionKey.random();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    /** A fresh process's view of a site: a new key ring (nothing cached) over {@code ring}. */
    private TransformingObjectStore site(ObjectStore raw, ObjectStore ring, String defaultPolicy) {
        return new TransformingObjectStore(raw, new KeyRing(ring, KeyRing.DEFAULT_NAMESPACE, kek, List.of()), null,
                TransformPolicy.parse(defaultPolicy));
    }

    private VolumeHistory encryptedVolume(TransformingObjectStore a) {
        a.createNamespace("vm1", TransformPolicy.parse("zstd:3+aes-256-gcm"));
        VolumeHistory v = new VolumeHistory(a, "vm1", 256, ReplicationJobTest.CS, 8 * ReplicationJobTest.CS, tmp);
        byte[] text = "a guest's text block ".repeat(200).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 40; i++) {
            v.write(i * 5L, Arrays.copyOf(text, ReplicationJobTest.CS));
        }
        v.snapshot("s1");
        return v;
    }

    private void replicate(ObjectStore a, ObjectStore b) {
        try (ReplicationJob job = new ReplicationJob(a, b, ReplicationConfig.Replication.defaults(),
                new PrintStream(log, true, StandardCharsets.UTF_8))) {
            assertTrue(job.runOnce(), log.toString(StandardCharsets.UTF_8));
        }
    }

    private void assertCiphertextOnB() {
        for (var o : rawB.listAll("vm1", NamespaceLayout.SCO_PREFIX)) {
            assertArrayEquals(MAGIC, Arrays.copyOf(rawB.get("vm1", o.key()).array(), 8), o.key() + " is sealed on B");
        }
    }

    @Test
    void aSiteSharingTheKeyRingReadsTheReplicaWithTheVolumesKeyAndTheSourcesDeleteShredsIt() {
        TransformingObjectStore a = site(rawA, sharedRing, "none");
        VolumeHistory v = encryptedVolume(a);
        TransformingObjectStore b = site(rawB, sharedRing, "lz4");
        replicate(a, b);

        TransformingObjectStore freshA = site(rawA, sharedRing, "none");
        TransformingObjectStore freshB = site(rawB, sharedRing, "lz4");
        ReplicationJobTest.assertConsistentPrefix(freshA, freshB, "vm1");
        assertEquals(v.manifest().allTlogs(), new VolumeManifestStore(freshB).readLatest("vm1").orElseThrow().allTlogs());
        assertEquals(TransformPolicy.parse("zstd:3+aes-256-gcm"), freshB.policyOf("vm1"), "the volume's own record");
        assertCiphertextOnB();
        assertTrue(ReplicaVerifier.verify(freshA, freshB, "vm1").problems().isEmpty());

        a.deleteNamespace("vm1");
        String sco = rawB.listAll("vm1", NamespaceLayout.SCO_PREFIX).get(0).key();
        KeyDestroyedException e = assertThrows(KeyDestroyedException.class,
                () -> site(rawB, sharedRing, "lz4").get("vm1", sco), "the source's delete destroyed the only key");
        assertTrue(e.getMessage().contains("'vm1'"), e.getMessage());
    }

    @Test
    void aSiteWithItsOwnKeyRingKeepsAReadableReplicaUntilItIsDeletedThere() {
        TransformingObjectStore a = site(rawA, sharedRing, "none");
        encryptedVolume(a);
        InMemoryObjectStore ringB = new InMemoryObjectStore("keys-b");
        replicate(a, site(rawB, ringB, "lz4+aes-256-gcm"));
        assertCiphertextOnB();
        assertEquals(TransformPolicy.parse("lz4+aes-256-gcm"), site(rawB, ringB, "none").policyOf("vm1"),
                "the replica is written by the target's default policy under a key of its own");

        ObjectStore before = site(rawA, sharedRing, "none");
        String sco = rawB.listAll("vm1", NamespaceLayout.SCO_PREFIX).get(0).key();
        ByteBuffer expected = before.get("vm1", sco);
        a.deleteNamespace("vm1");
        assertEquals(expected, site(rawB, ringB, "none").get("vm1", sco), "the source's delete does not reach it");
        site(rawB, ringB, "none").deleteNamespace("vm1");
        assertTrue(ringB.listAll(KeyRing.DEFAULT_NAMESPACE, "").isEmpty(), "deleted on B, its key is gone too");
    }
}
