package io.scoria.backend.transform;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.config.Secret;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link KeyRing#rotate()}: every data key ends up wrapped by the new key-encryption key without a
 * data object rewritten; a pass that fails midway loses no key and a rerun finishes it; a record
 * that no configured KEK unwraps is named by its volume and left alone; a volume this process
 * deletes while a pass runs stays deleted.
 */
class KeyRotationTest {
    private final InMemoryObjectStore backend = new InMemoryObjectStore("volumes");
    private final InMemoryObjectStore keys = new InMemoryObjectStore("keys");
    private final FaultInjectingStore ringStore = new FaultInjectingStore(keys);
    private final KeyEncryptionKey old = KeyEncryptionKey.random();
    private final KeyEncryptionKey next = KeyEncryptionKey.random();

    private TransformingObjectStore store(KeyEncryptionKey current, List<KeyEncryptionKey> previous) {
        KeyRing ring = new KeyRing(ringStore, KeyRing.DEFAULT_NAMESPACE, current, previous);
        return new TransformingObjectStore(backend, ring, null, TransformPolicy.parse("lz4+aes-256-gcm"));
    }

    private static byte[] data(String volume) {
        return ("contents of " + volume + " ").repeat(5000).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private String kekIdOf(String volume) {
        String json = new String(bytes(keys.get(KeyRing.DEFAULT_NAMESPACE, "volume/" + volume)), StandardCharsets.UTF_8);
        return json.replaceAll(".*\"kekId\":\"([0-9a-f]+)\".*", "$1");
    }

    private List<String> volumes(TransformingObjectStore s, int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String v = "vm" + i;
            s.createNamespace(v);
            s.put(v, "sco/1", ByteBuffer.wrap(data(v)));
            names.add(v);
        }
        return names;
    }

    @Test
    void aPassThatFailsMidwayLosesNoKeyAndARerunFinishesIt() {
        TransformingObjectStore before = store(old, List.of());
        List<String> names = volumes(before, 5);
        before.createNamespace("plain", TransformPolicy.parse("zstd:1"));
        byte[] stored = bytes(backend.get("vm3", "sco/1"));

        AtomicInteger ringPuts = new AtomicInteger();
        ringStore.failWhen(c -> c.op() == FaultInjectingStore.Op.PUT && ringPuts.incrementAndGet() == 3);
        TransformingObjectStore rotating = store(next, List.of(old));
        assertThrows(BackendUnavailableException.class, () -> rotating.keyRing().rotate(), "the third re-wrap fails");
        ringStore.heal();
        long rewrappedSoFar = names.stream().filter(v -> kekIdOf(v).equals(next.id())).count();
        assertEquals(2, rewrappedSoFar, "the records before the failure are re-wrapped, the rest are not");
        assertEquals(3, names.stream().filter(v -> kekIdOf(v).equals(old.id())).count());
        TransformingObjectStore both = store(next, List.of(old));
        for (String v : names) {
            assertArrayEquals(data(v), bytes(both.get(v, "sco/1")), v + " reads in the middle of a rotation");
        }

        KeyRotation rerun = store(next, List.of(old)).keyRing().rotate();
        assertEquals(3, rerun.rewrapped());
        assertEquals(3, rerun.alreadyCurrent(), "two re-wrapped before, and the volume that does not encrypt");
        assertTrue(rerun.complete());
        assertEquals(next.id(), rerun.kekId());
        assertEquals(0, store(next, List.of(old)).keyRing().rotate().rewrapped(), "a third pass has nothing to do");

        TransformingObjectStore onlyNew = store(next, List.of());
        TransformingObjectStore onlyOld = store(old, List.of());
        for (String v : names) {
            assertArrayEquals(data(v), bytes(onlyNew.get(v, "sco/1")), v + " reads with the new KEK alone");
            assertThrows(WrongKeyException.class, () -> onlyOld.get(v, "sco/1"), v + ": the old KEK is retired");
        }
        assertArrayEquals(stored, bytes(backend.get("vm3", "sco/1")), "no data object is rewritten");
        assertEquals(TransformPolicy.parse("zstd:1"), onlyNew.policyOf("plain"));
    }

    @Test
    void aRecordThatNoConfiguredKeyUnwrapsIsNamedAndLeftAsItIs() {
        volumes(store(old, List.of()), 2);
        KeyEncryptionKey lost = KeyEncryptionKey.of(Secret.of(Base64.getEncoder().encodeToString(new byte[32])), "k");
        TransformingObjectStore other = store(lost, List.of());
        other.createNamespace("orphan");
        other.put("orphan", "sco/1", ByteBuffer.wrap(data("orphan")));
        byte[] orphanRecord = bytes(keys.get(KeyRing.DEFAULT_NAMESPACE, "volume/orphan"));

        KeyRotation r = store(next, List.of(old)).keyRing().rotate();
        assertEquals(2, r.rewrapped(), "the others are re-wrapped all the same");
        assertFalse(r.complete());
        assertEquals(List.of("orphan"), List.copyOf(r.unopened().keySet()));
        String why = r.unopened().get("orphan");
        assertTrue(why.contains("volume 'orphan'") && why.contains(lost.id()), why);
        assertFalse(why.contains(Base64.getEncoder().encodeToString(new byte[32])), "never the key: " + why);
        assertArrayEquals(orphanRecord, bytes(keys.get(KeyRing.DEFAULT_NAMESPACE, "volume/orphan")), "left as it was");

        KeyRotation withIt = store(next, List.of(old, lost)).keyRing().rotate();
        assertEquals(1, withIt.rewrapped());
        assertTrue(withIt.complete());
        assertArrayEquals(data("orphan"), bytes(store(next, List.of()).get("orphan", "sco/1")));
    }

    @Test
    void withoutACurrentKeyThereIsNothingToRotateTo() {
        volumes(store(old, List.of()), 1);
        KeyRing ring = new KeyRing(ringStore, KeyRing.DEFAULT_NAMESPACE, null, List.of(old));
        IllegalStateException e = assertThrows(IllegalStateException.class, ring::rotate);
        assertTrue(e.getMessage().contains("keyEncryptionKey"), e.getMessage());
        assertEquals(old.id(), kekIdOf("vm0"));
    }

    @Test
    void aVolumeThisProcessDeletesDuringAPassStaysDeleted() throws Exception {
        volumes(store(old, List.of()), 1);
        TransformingObjectStore s = store(next, List.of(old));
        s.keyRing().lookup("vm0");
        CompletableFuture<Void> delete = new CompletableFuture<>();
        Thread deleter = new Thread(() -> {
            s.deleteNamespace("vm0");
            delete.complete(null);
        }, "deleter");
        ringStore.latency(c -> {
            if (c.op() == FaultInjectingStore.Op.PUT && !deleter.isAlive() && !delete.isDone()) {
                deleter.start();
                return Duration.ofMillis(300);
            }
            return Duration.ZERO;
        });
        KeyRotation r = s.keyRing().rotate();
        delete.get();
        ringStore.heal();
        assertEquals(1, r.rewrapped(), "the delete came while the re-wrap's put was under way");
        assertFalse(keys.exists(KeyRing.DEFAULT_NAMESPACE, "volume/vm0"),
                "the delete waited for the re-wrap and then destroyed the key; it did not come back");
    }
}
