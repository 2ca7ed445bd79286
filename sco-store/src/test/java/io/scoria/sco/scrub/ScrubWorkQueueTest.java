package io.scoria.sco.scrub;

import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.ScoFormatException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scrub work queue's objects: one item per volume, readable, malformed ones named and set aside. */
class ScrubWorkQueueTest {
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final ScrubWorkQueue queue = new ScrubWorkQueue(store);

    private void putRaw(String ns, String json) {
        if (!store.namespaceExists(ScrubWorkQueue.NAMESPACE)) {
            store.createNamespace(ScrubWorkQueue.NAMESPACE);
        }
        store.put(ScrubWorkQueue.NAMESPACE, ScrubWorkQueue.ITEM_PREFIX + ns, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anEmptyQueueHasNothingPendingBeforeItsNamespaceExists() {
        assertEquals(List.of(), queue.pendingNamespaces());
        assertFalse(queue.pending("vm1"));
        assertTrue(queue.read("vm1").isEmpty());
        assertTrue(queue.takeRejection("vm1").isEmpty());
    }

    @Test
    void aVolumeHasAtMostOnePendingItem() {
        ScrubWorkItem first = ScrubWorkItem.of("vm1", "disk-1", 0.5, 0.8, "router-a");
        assertTrue(queue.publish(first));
        assertFalse(queue.publish(ScrubWorkItem.of("vm1", "disk-1", 0.4, 0.9, "router-b")), "one is pending already");
        assertTrue(queue.publish(ScrubWorkItem.of("vm2", "disk-2", 0.5, 0.3, "router-a")));
        assertEquals(List.of("vm1", "vm2"), queue.pendingNamespaces());
        assertTrue(queue.pending("vm1"));
        ScrubWorkItem read = queue.read("vm1").orElseThrow();
        assertEquals(first, read, "the first item stays as published");
        queue.update(read.failed("backend down"));
        assertEquals(1, queue.read("vm1").orElseThrow().attempts());
        assertEquals("backend down", queue.read("vm1").orElseThrow().lastError());
        queue.remove("vm1");
        assertFalse(queue.pending("vm1"));
        assertTrue(queue.publish(ScrubWorkItem.of("vm1", "disk-1", 0.5, 0.8, "router-a")), "published again once removed");
    }

    @Test
    void malformedItemsAreNamedWithTheirObjectAndReason() {
        putRaw("vm1", "{not json");
        ScoFormatException e = assertThrows(ScoFormatException.class, () -> queue.read("vm1"));
        assertTrue(e.getMessage().contains(ScrubWorkQueue.NAMESPACE + "/item/vm1 is not a valid scrub work item ({not json)"),
                e.getMessage());
        putRaw("vm2", "{\"version\":2,\"namespace\":\"vm2\",\"volume\":\"v\",\"liveThreshold\":0.5,\"garbage\":0.5,"
                + "\"publishedMillis\":1,\"publisher\":\"r\",\"attempts\":0}");
        e = assertThrows(ScoFormatException.class, () -> queue.read("vm2"));
        assertTrue(e.getMessage().contains("version 2 is not supported"), e.getMessage());
        putRaw("vm3", "{\"version\":1,\"namespace\":\"vm3\",\"volume\":\"v\",\"liveThreshold\":7,\"garbage\":0.5,"
                + "\"publishedMillis\":1,\"publisher\":\"r\",\"attempts\":0}");
        e = assertThrows(ScoFormatException.class, () -> queue.read("vm3"));
        assertTrue(e.getMessage().contains("liveThreshold must be in (0, 1]: 7.0"), e.getMessage());
        putRaw("vm4", "{\"version\":1,\"namespace\":\"other\",\"volume\":\"v\",\"liveThreshold\":0.5,\"garbage\":0.5,"
                + "\"publishedMillis\":1,\"publisher\":\"r\",\"attempts\":0}");
        e = assertThrows(ScoFormatException.class, () -> queue.read("vm4"));
        assertTrue(e.getMessage().contains("names namespace 'other', not 'vm4'"), e.getMessage());
        // a newer router may add fields: they are ignored
        putRaw("vm5", "{\"version\":1,\"namespace\":\"vm5\",\"volume\":\"v\",\"liveThreshold\":0.5,\"garbage\":0.5,"
                + "\"publishedMillis\":1,\"publisher\":\"r\",\"attempts\":0,\"priority\":3}");
        assertEquals("vm5", queue.read("vm5").orElseThrow().namespace());
    }

    @Test
    void aRejectedItemLeavesTheQueueAndItsReasonIsReportedOnce() {
        putRaw("vm1", "garbage bytes");
        queue.reject("vm1", "not JSON");
        assertFalse(queue.pending("vm1"));
        assertEquals(List.of(), queue.pendingNamespaces());
        ScrubWorkQueue.Rejection r = queue.takeRejection("vm1").orElseThrow();
        assertEquals("not JSON", r.reason());
        assertEquals("garbage bytes", r.item(), "the rejected bytes are kept for the operator");
        assertTrue(queue.takeRejection("vm1").isEmpty(), "reported once");
    }

    @Test
    void aWaitingScrubResultIsSeen() {
        store.createNamespace("vm1");
        assertFalse(queue.resultWaiting("vm1"));
        store.put("vm1", ScrubResult.key("g1-s1-1"), ByteBuffer.wrap(new byte[] {1}));
        assertTrue(queue.resultWaiting("vm1"));
    }
}
