package io.scoria.backend.metering;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountingObjectStoreTest {
    private final InMemoryObjectStore inner = new InMemoryObjectStore("mem");
    private final RequestLedger ledger = new RequestLedger();
    private final CountingObjectStore store = new CountingObjectStore(inner, "s3", ledger);

    @Test
    void aKnownSequenceIsCountedPerKindAndNamespace(@TempDir Path tmp) throws Exception {
        store.createNamespace("vol-a");
        store.createNamespace("vol-b");
        store.put("vol-a", "sco/1", ByteBuffer.allocate(1000));
        Path file = Files.write(tmp.resolve("sco"), new byte[4096]);
        store.put("vol-a", "sco/2", file);
        store.put("vol-b", "tlog/1", ByteBuffer.allocate(10));
        assertEquals(1000, store.get("vol-a", "sco/1").remaining());
        store.read("vol-a", "sco/2", 100, ByteBuffer.allocate(200));
        store.get("vol-a", "sco/2", 0, 300);
        store.stat("vol-a", "sco/1");
        assertTrue(store.exists("vol-a", "sco/2"));
        store.list("vol-a", "sco/", null, 10);
        store.delete("vol-b", "tlog/1");
        store.listNamespaces();

        assertEquals(new RequestCounts(3, 1, 2, 2, 1, 0, 1000 + 4096, 1000 + 200 + 300), ledger.counts("s3", "vol-a"));
        assertEquals(new RequestCounts(2, 0, 0, 0, 0, 1, 10, 0), ledger.counts("s3", "vol-b"));
        assertEquals(new RequestCounts(0, 0, 0, 0, 1, 0, 0, 0), ledger.counts("s3", RequestLedger.STORE_WIDE));
        // the wrapped store's own counters saw the same object requests
        RequestCounts all = ledger.snapshot().stream().map(RequestLedger.Entry::counts)
                .reduce(RequestCounts.ZERO, RequestCounts::plus);
        assertEquals(inner.metrics().puts(), all.puts() - 2, "namespace creations are PUTs here, not there");
        assertEquals(inner.metrics().gets(), all.gets() + all.rangedGets());
        assertEquals(inner.metrics().bytesWritten(), all.bytesIn());
        assertEquals(inner.metrics().bytesRead(), all.bytesOut());
        assertEquals(inner.metrics().deletes(), all.deletes());
        assertEquals(inner.metrics().lists(), all.lists());
    }

    @Test
    void asyncAndPagedCallsCountEachRequestOnce() throws Exception {
        store.createNamespace("vol-a");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<Void>> puts = new ArrayList<>();
            for (int i = 0; i < 2500; i++) {
                puts.add(store.putAsync("vol-a", String.format("k%05d", i), ByteBuffer.allocate(1), pool));
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
        } finally {
            pool.shutdown();
        }
        assertEquals(2500, store.listAll("vol-a", "k").size());
        RequestCounts c = ledger.counts("s3", "vol-a");
        assertEquals(2501, c.puts());
        assertEquals(3, c.lists(), "2,500 keys in pages of 1,000");
        assertEquals(2500, c.bytesIn());
    }

    @Test
    void failedRequestsCountWithoutBytesAndRefusedOnesDoNot() {
        FaultInjectingStore faulty = new FaultInjectingStore(inner);
        CountingObjectStore counting = new CountingObjectStore(faulty, "swift", ledger);
        counting.createNamespace("vol-a");
        assertThrows(NotFoundException.class, () -> counting.get("vol-a", "missing"));
        faulty.down(true);
        assertThrows(BackendUnavailableException.class, () -> counting.put("vol-a", "k", ByteBuffer.allocate(64)));
        faulty.down(false);
        assertThrows(IllegalArgumentException.class, () -> counting.put("vol-a", "/bad", ByteBuffer.allocate(64)));
        assertThrows(IllegalArgumentException.class, () -> counting.read("vol-a", "k", -1, ByteBuffer.allocate(1)));
        assertEquals(new RequestCounts(2, 1, 0, 0, 0, 0, 0, 0), ledger.counts("swift", "vol-a"));
        assertEquals(RequestCounts.ZERO, ledger.counts("s3", "vol-a"));
    }

    @Test
    void listenersSeeExistingAndLaterCountersOnce() {
        store.createNamespace("vol-a");
        List<String> seen = new ArrayList<>();
        ledger.onNewCounters((s, ns, c) -> seen.add(s + ":" + ns));
        store.createNamespace("vol-b");
        store.put("vol-b", "k", ByteBuffer.allocate(1));
        assertEquals(List.of("s3:vol-a", "s3:vol-b"), seen);
        assertEquals(List.of("s3"), ledger.stores());
    }

    @Test
    void closingClosesTheWrappedStore() {
        store.close();
        assertThrows(IllegalStateException.class, () -> inner.namespaceExists("vol-a"));
        assertFalse(ledger.snapshot().stream().anyMatch(e -> e.counts().requests() > 0));
    }
}
