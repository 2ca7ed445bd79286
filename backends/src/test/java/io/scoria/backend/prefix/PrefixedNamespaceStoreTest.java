package io.scoria.backend.prefix;

import io.scoria.backend.BackendException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The layout in the one bucket, and a delete that dies half-way. */
class PrefixedNamespaceStoreTest {
    @Test
    void everyNamespaceIsAMarkerAndAPrefixInTheOneBucket() {
        InMemoryObjectStore under = new InMemoryObjectStore();
        try (PrefixedNamespaceStore s = new PrefixedNamespaceStore(under, "volumes")) {
            assertEquals(List.of("volumes"), under.listNamespaces(), "one bucket, created at open");
            s.createNamespace("vm-1");
            s.createNamespace("vm-2");
            s.put("vm-1", "sco/1", ByteBuffer.wrap(new byte[3]));
            assertEquals(List.of("namespaces/vm-1", "namespaces/vm-2", "objects/vm-1/sco/1"),
                    under.listAll("volumes", "").stream().map(ObjectInfo::key).toList());
            assertEquals(List.of("vm-1", "vm-2"), s.listNamespaces());
            assertTrue(s.deleteNamespace("vm-1"));
            assertEquals(List.of("namespaces/vm-2"), under.listAll("volumes", "").stream().map(ObjectInfo::key).toList());
        }
    }

    @Test
    void aDeleteThatDiesHalfWayLeavesANamespaceThatASecondDeleteFinishes() {
        InMemoryObjectStore mem = new InMemoryObjectStore();
        FaultInjectingStore faulty = new FaultInjectingStore(mem);
        PrefixedNamespaceStore s = new PrefixedNamespaceStore(faulty, "volumes");
        s.createNamespace("vm-1");
        for (int i = 0; i < 5; i++) {
            s.put("vm-1", "sco/" + i, ByteBuffer.wrap(new byte[] {(byte) i}));
        }
        AtomicInteger deletes = new AtomicInteger();
        faulty.failWhen(c -> c.op() == FaultInjectingStore.Op.DELETE && deletes.incrementAndGet() == 3);
        assertThrows(BackendException.class, () -> s.deleteNamespace("vm-1"));
        faulty.heal();
        // a new process: no memory of the namespaces it saw
        PrefixedNamespaceStore again = new PrefixedNamespaceStore(faulty, "volumes");
        assertTrue(again.namespaceExists("vm-1"), "the marker goes last: the namespace is still there");
        assertTrue(again.deleteNamespace("vm-1"));
        assertFalse(again.namespaceExists("vm-1"));
        assertEquals(List.of(), mem.listAll("volumes", ""), "nothing left of it");
        again.createNamespace("vm-1");
        assertThrows(NotFoundException.class, () -> again.get("vm-1", "sco/3"), "a new namespace of the name sees none of the old");
    }
}
