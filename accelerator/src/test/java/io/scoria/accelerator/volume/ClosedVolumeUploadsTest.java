package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A closed volume's uploads still run after the close (idle close, {@code volumes.maxOpen}); once the
 * volume is opened again or deleted, that old queue is dropped ({@link ClosedVolumeUploads}): a reopened
 * volume queues again what is not on the backend, and a deleted one leaves nothing behind.
 */
class ClosedVolumeUploadsTest {
    private static final int MIB = 1 << 20;
    @TempDir
    Path tmp;
    private final InMemoryObjectStore mem = new InMemoryObjectStore();
    private final FaultInjectingStore store = new FaultInjectingStore(mem);

    private EngineConfig config(String node) {
        return EngineConfig.defaults(tmp.resolve(node)).withScoCacheBytes(64L * MIB).withClusterCacheBytes(16L * MIB)
                .withScosPerTlog(2).withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
    }

    private static byte[] data(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void failPutsOf(String ns) {
        store.failWhen(c -> c.op() == FaultInjectingStore.Op.PUT && ns.equals(c.namespace()));
    }

    @Test
    void aVolumeReopenedWhileItsUploadsWaitedQueuesThemAgainAndLosesNothing() {
        byte[] first = data(1, 3 * MIB);
        byte[] second = data(2, 3 * MIB);
        try (LocalVolumeService a = new LocalVolumeService(store, config("a"))) {
            a.create("vm1", new VolumeSpec(64L * MIB, 4096, MIB));
            failPutsOf("vm1");
            a.open("vm1").write(0, ByteBuffer.wrap(first), false);
            a.closeVolume("vm1"); // its SCOs, TLogs and manifest wait for the backend
            Volume v = a.open("vm1");
            v.write(8L * MIB, ByteBuffer.wrap(second), false);
            a.closeVolume("vm1");
            store.failWhen(c -> false);
            assertTrue(a.awaitUploads(Duration.ofSeconds(30)), "the upload queue drains");
        }
        try (LocalVolumeService b = new LocalVolumeService(store, config("b"))) {
            Volume v = b.open("vm1"); // rebuilt from the backend alone
            ByteBuffer back = ByteBuffer.allocate(3 * MIB);
            v.read(0, back);
            assertArrayEquals(first, back.array(), "written before the first close");
            back.clear();
            v.read(8L * MIB, back);
            assertArrayEquals(second, back.array(), "written after the reopen");
        }
    }

    @Test
    void aClosedVolumeDeletedWhileItsUploadsWaitLeavesNoObject() {
        try (LocalVolumeService a = new LocalVolumeService(store, config("a"))) {
            a.create("vm1", new VolumeSpec(64L * MIB, 4096, MIB));
            failPutsOf("vm1");
            a.open("vm1").write(0, ByteBuffer.wrap(data(3, 3 * MIB)), false);
            a.closeVolume("vm1");
            a.delete("vm1");
            store.failWhen(c -> false);
            assertTrue(a.awaitUploads(Duration.ofSeconds(30)), "the dropped uploads do not block the queue");
            assertFalse(mem.namespaceExists("vm1"), "no upload of the deleted volume made its namespace again");
            assertTrue(a.wipeCheck("vm1").clean(), a.wipeCheck("vm1").toString());
        }
    }
}
