package io.scoria.backend;

import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks every store inherits from the base class: size limits, closed stores, metrics. */
class AbstractObjectStoreTest {
    @TempDir
    Path tmp;

    @Test
    void objectsOverTheStoreLimitAreRefusedBeforeAnythingChanges() throws Exception {
        try (InMemoryObjectStore store = new InMemoryObjectStore("small", 1000)) {
            store.createNamespace("ns1");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.put("ns1", "big", ByteBuffer.allocate(1001)));
            assertTrue(e.getMessage().contains("big") && e.getMessage().contains("1000"), e.getMessage());
            Path file = tmp.resolve("f");
            Files.write(file, new byte[1001]);
            assertThrows(IllegalArgumentException.class, () -> store.put("ns1", "bigfile", file));
            assertThrows(IllegalArgumentException.class, () -> store.put("ns1", "missing", tmp.resolve("nope")));
            assertFalse(store.exists("ns1", "big"));
            assertFalse(store.exists("ns1", "bigfile"));
            store.put("ns1", "fits", ByteBuffer.allocate(1000));
            assertTrue(store.exists("ns1", "fits"));
        }
    }

    @Test
    void closedStoreRefusesCallsAndCloseIsIdempotent() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        store.close();
        store.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.createNamespace("ns1"));
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void metricsCountOperationsBytesAndErrors() {
        try (InMemoryObjectStore store = new InMemoryObjectStore()) {
            store.createNamespace("ns1");
            store.put("ns1", "a", ByteBuffer.allocate(10));
            store.get("ns1", "a", 2, 5);
            store.get("ns1", "a");
            assertEquals(1, store.metrics().puts());
            assertEquals(10, store.metrics().bytesWritten());
            assertEquals(2, store.metrics().gets());
            assertEquals(15, store.metrics().bytesRead());
        }
    }

    @Test
    void readIntoReadOnlyBufferIsRefused() {
        try (InMemoryObjectStore store = new InMemoryObjectStore()) {
            store.createNamespace("ns1");
            store.put("ns1", "a", ByteBuffer.allocate(10));
            assertThrows(IllegalArgumentException.class,
                    () -> store.read("ns1", "a", 0, ByteBuffer.allocate(4).asReadOnlyBuffer()));
        }
    }
}
