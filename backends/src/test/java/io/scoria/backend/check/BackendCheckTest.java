package io.scoria.backend.check;

import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendCheckTest {
    @Test
    void healthyStorePassesAndLeavesNothingBehind() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BackendCheck.Result r = new BackendCheck(store, "scoria-check", 1 << 20).run(new PrintStream(out));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(r.ok(), text);
        assertTrue(text.contains("MiB/s"), text);
        assertFalse(store.namespaceExists("scoria-check"), "the namespace created for the check is removed");
    }

    @Test
    void downStoreFailsWithOneLineNamingTheStoreAndStep() {
        FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore("mem1"));
        store.createNamespace("scoria-check");
        store.failWhen(c -> c.op() == FaultInjectingStore.Op.PUT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BackendCheck.Result r = new BackendCheck(store, "scoria-check", 4096).run(new PrintStream(out));
        assertFalse(r.ok());
        assertTrue(r.message().contains("at put"), r.message());
        assertTrue(r.message().contains("mem1"), r.message());
        assertEquals(1, r.message().lines().count());
        assertEquals(0, store.listAll("scoria-check", "").size());
    }
}
