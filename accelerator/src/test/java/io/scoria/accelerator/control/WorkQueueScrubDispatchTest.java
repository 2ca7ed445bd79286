package io.scoria.accelerator.control;

import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.sco.scrub.ScrubWorkItem;
import io.scoria.sco.scrub.ScrubWorkQueue;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scrub.auto.runOn: workers}: the router's scrub decisions become work items on the backend,
 * at most one per volume while it is pending, being scrubbed, or its result waits to be applied.
 */
class WorkQueueScrubDispatchTest {
    private static final long MIB = 1 << 20;
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final ScrubWorkQueue queue = new ScrubWorkQueue(store);
    private final Map<String, String> namespaces = Map.of("vm1", "ns-vm1", "vm2", "ns-vm2");
    private final WorkQueueScrubDispatch dispatch = new WorkQueueScrubDispatch(
            v -> Optional.ofNullable(namespaces.get(v)), queue, 0.4);

    @Test
    void aVolumeThatNeedsAScrubGetsOneWorkItemAndNoSecondWhileItIsPending() {
        store.createNamespace("ns-vm1");
        store.createNamespace("ns-vm2");
        AutoScrub auto = new AutoScrub(dispatch, v -> Optional.of(new AutoScrub.Garbage(128 * MIB, 16 * MIB, 2, true)),
                new AutoScrub.Settings(0.2, Duration.ofHours(1)));
        List<String> all = List.of("vm1", "vm2");
        auto.tick(0, all, 10); // the first look only measures
        auto.snapshotTaken("vm1");
        assertEquals(1, auto.tick(1000, all, 10));
        assertEquals(List.of("ns-vm1"), queue.pendingNamespaces());
        ScrubWorkItem item = queue.read("ns-vm1").orElseThrow();
        assertEquals("vm1", item.volume());
        assertEquals(0.4, item.liveThreshold(), 1e-9, "scrub.auto.liveThreshold travels with the item");
        assertEquals(0.875, item.garbage(), 1e-9);
        assertEquals(0, item.attempts());

        assertTrue(auto.busy("vm1"), "pending");
        auto.snapshotTaken("vm1");
        assertEquals(0, auto.tick(2000, all, 10), "a volume with a pending item is not looked at");
        assertEquals(item, queue.read("ns-vm1").orElseThrow(), "no second item");

        // a worker wrote the result and removed the item; the router has not applied the result yet
        queue.remove("ns-vm1");
        store.put("ns-vm1", ScrubResult.key("g3-s1-2"), ByteBuffer.wrap(new byte[] {1}));
        assertTrue(auto.busy("vm1"), "a result waits: no new scrub of the same snapshots");
        assertEquals(0, auto.tick(3000, all, 10));
        assertFalse(queue.pending("ns-vm1"));
        store.delete("ns-vm1", ScrubResult.key("g3-s1-2")); // applied
        assertFalse(auto.busy("vm1"));
        assertFalse(auto.busy("gone"), "no such volume");
    }

    @Test
    void aRejectedItemIsReportedAndANewOnePublished() {
        store.createNamespace("ns-vm2");
        assertTrue(dispatch.dispatch("vm2", new AutoScrub.Garbage(10 * MIB, 5 * MIB, 1, true)).startsWith(
                "work item scoria-scrub-work/item/ns-vm2 for scoria-scrub workers"));
        assertEquals("its work item was already pending",
                dispatch.dispatch("vm2", new AutoScrub.Garbage(10 * MIB, 5 * MIB, 1, true)));
        queue.reject("ns-vm2", "the scrub failed 3 times, last: backend down");
        assertFalse(dispatch.busy("vm2"));
        dispatch.dispatch("vm2", new AutoScrub.Garbage(10 * MIB, 5 * MIB, 1, true));
        assertTrue(queue.pending("ns-vm2"));
        assertTrue(queue.takeRejection("ns-vm2").isEmpty(), "the router took (and logged) the rejection");
    }
}
