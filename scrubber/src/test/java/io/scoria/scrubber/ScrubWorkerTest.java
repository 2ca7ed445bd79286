package io.scoria.scrubber;

import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.sco.scrub.ScrubWorkItem;
import io.scoria.sco.scrub.ScrubWorkQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scoria-scrub --worker} against a backend holding real volume histories: items are taken
 * by the volume's lease, scrubbed once, and removed; a held lease keeps a worker off until its
 * holder is killed; malformed and failing items leave the queue instead of being retried for ever.
 */
class ScrubWorkerTest {
    private static final int CS = 4096;
    private static final long CLUSTERS = 512;

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    /** Every cluster written, then a tenth overwritten five times, one snapshot kept. */
    private static VolumeHistory volumeWithGarbage(ObjectStore store, String ns, long seed) throws Exception {
        VolumeHistory v = new VolumeHistory(store, ns, CLUSTERS, CS, 64 * 1024, VolumeHistory.tempDir());
        Random r = new Random(seed);
        for (long lba = 0; lba < CLUSTERS; lba++) {
            v.write(lba, cluster(r));
        }
        v.snapshot("s0");
        for (int round = 1; round <= 5; round++) {
            for (long lba = 0; lba < CLUSTERS / 10; lba++) {
                v.write(lba * 10 + 3, cluster(r));
            }
            v.snapshot("s" + round);
        }
        for (int i = 0; i < 5; i++) {
            v.deleteSnapshot("s" + i);
        }
        return v;
    }

    private static byte[] cluster(Random r) {
        byte[] b = new byte[CS];
        r.nextBytes(b);
        return b;
    }

    private ScrubWorker worker(ObjectStore store, int maxAttempts, PrintStream to) {
        return new ScrubWorker(store, new ScrubWorker.Settings(Duration.ofMillis(100), tmp, Duration.ofSeconds(30),
                maxAttempts), to);
    }

    private static void publish(ObjectStore store, String ns) {
        assertTrue(new ScrubWorkQueue(store).publish(ScrubWorkItem.of(ns, "disk-" + ns, 0.5, 0.6, "test-router")));
    }

    private static List<String> results(ObjectStore store, String ns) {
        return store.listAll(ns, ScrubResult.PREFIX).stream().map(ObjectInfo::key).toList();
    }

    private static Set<String> keys(ObjectStore store, String ns) {
        return store.listAll(ns, "").stream().map(ObjectInfo::key).collect(Collectors.toCollection(TreeSet::new));
    }

    /** What the router does with a result: apply it, delete what it made obsolete. */
    private static void apply(VolumeHistory v, String resultKey) {
        ScrubResult r = ScrubResult.decode(v.store.get(v.ns, resultKey), resultKey);
        v.publish(r.applyTo(v.manifest()));
        r.obsoleteScos().forEach(k -> v.store.delete(v.ns, k));
        r.obsoleteTlogs().forEach(t -> v.store.delete(v.ns, NamespaceLayout.tlogKey(t)));
        v.store.delete(v.ns, resultKey);
    }

    private static long scoBytes(ObjectStore store, String ns) {
        return store.listAll(ns, NamespaceLayout.SCO_PREFIX).stream().mapToLong(ObjectInfo::size).sum();
    }

    @Test
    void twoWorkersScrubTwoVolumesEachExactlyOnce() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory a = volumeWithGarbage(store, "vol-a", 1);
        VolumeHistory b = volumeWithGarbage(store, "vol-b", 2);
        long beforeA = scoBytes(store, "vol-a");
        publish(store, "vol-a");
        publish(store, "vol-b");
        List<Map<String, ScrubWorker.Outcome>> polls = new CopyOnWriteArrayList<>();
        ScrubWorker w1 = worker(store, 3, out);
        ScrubWorker w2 = worker(store, 3, out);
        Thread t1 = new Thread(() -> polls.add(w1.pollOnce()));
        Thread t2 = new Thread(() -> polls.add(w2.pollOnce()));
        t1.start();
        t2.start();
        t1.join(60_000);
        t2.join(60_000);
        long scrubbed = polls.stream().flatMap(m -> m.entrySet().stream())
                .filter(e -> e.getValue() == ScrubWorker.Outcome.SCRUBBED).count();
        assertEquals(2, scrubbed, "each volume scrubbed once, by one of the workers: " + polls + "\n" + log);
        assertEquals(List.of(), new ScrubWorkQueue(store).pendingNamespaces(), "items removed once scrubbed");
        for (VolumeHistory v : List.of(a, b)) {
            List<String> r = results(store, v.ns);
            assertEquals(1, r.size(), v.ns + ": one result where the router looks: " + r);
            assertFalse(store.exists(v.ns, ScrubResult.LEASE_KEY), v.ns + ": lease released");
            apply(v, r.get(0));
            assertEquals(new TreeSet<>(v.snapshots.get("s5").keySet()), new TreeSet<>(v.readBack("s5").keySet()));
            v.snapshots.get("s5").forEach((lba, bytes) -> assertArrayEquals(bytes, v.readBack("s5").get(lba), v.ns + " lba " + lba));
        }
        assertTrue(scoBytes(store, "vol-a") < beforeA * 0.85, "space came back: " + scoBytes(store, "vol-a") + " of " + beforeA);
        assertTrue(worker(store, 3, out).pollOnce().isEmpty(), "nothing left to take");
    }

    @Test
    void aLeaseHeldByALiveWorkerKeepsOthersOffAndIsTakenOverOnceItsProcessIsKilled() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        volumeWithGarbage(store, "vol-k", 3);
        publish(store, "vol-k");
        Process holder = new ProcessBuilder("sleep", "120").start();
        try {
            String host = InetAddress.getLocalHost().getHostName();
            store.put("vol-k", ScrubResult.LEASE_KEY, ByteBuffer.wrap(("{\"token\":\"t\",\"host\":\"" + host + "\",\"pid\":"
                    + holder.pid() + ",\"expiresMillis\":" + (System.currentTimeMillis() + 600_000) + "}")
                    .getBytes(StandardCharsets.UTF_8)));
            ScrubWorker w = worker(store, 3, out);
            assertEquals(Map.of("vol-k", ScrubWorker.Outcome.HELD), w.pollOnce());
            assertTrue(new ScrubWorkQueue(store).pending("vol-k"), "the item stays while its scrub's holder lives");
            holder.destroyForcibly();
            assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
            assertEquals(Map.of("vol-k", ScrubWorker.Outcome.SCRUBBED), w.pollOnce(), log.toString());
        } finally {
            holder.destroyForcibly();
        }
        assertEquals(1, results(store, "vol-k").size());
        assertFalse(new ScrubWorkQueue(store).pending("vol-k"));
    }

    @Test
    void anExpiredLeaseOfAWorkerOnAnotherHostIsTakenOver() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        volumeWithGarbage(store, "vol-e", 4);
        publish(store, "vol-e");
        store.put("vol-e", ScrubResult.LEASE_KEY, ByteBuffer.wrap(("{\"token\":\"t\",\"host\":\"gone.example\",\"pid\":1,"
                + "\"expiresMillis\":" + (System.currentTimeMillis() - 1) + "}").getBytes(StandardCharsets.UTF_8)));
        assertEquals(Map.of("vol-e", ScrubWorker.Outcome.SCRUBBED), worker(store, 3, out).pollOnce(), log.toString());
    }

    @Test
    void aMalformedItemIsSkippedWithAClearLogAndNotRetried() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        volumeWithGarbage(store, "vol-m", 5);
        publish(store, "vol-m");
        store.put(ScrubWorkQueue.NAMESPACE, ScrubWorkQueue.ITEM_PREFIX + "vol-m",
                ByteBuffer.wrap("{\"version\":1,\"namespace\":".getBytes(StandardCharsets.UTF_8)));
        store.put(ScrubWorkQueue.NAMESPACE, ScrubWorkQueue.ITEM_PREFIX + "Not_A_Namespace",
                ByteBuffer.wrap("{}".getBytes(StandardCharsets.UTF_8)));
        ScrubWorker w = worker(store, 3, out);
        Map<String, ScrubWorker.Outcome> first = w.pollOnce();
        assertEquals(Map.of("vol-m", ScrubWorker.Outcome.REJECTED, "Not_A_Namespace", ScrubWorker.Outcome.REJECTED), first);
        assertTrue(log.toString().contains("skipping the work item of vol-m for good (moved to scoria-scrub-work/rejected/vol-m):"
                + " memory:scoria-scrub-work/item/vol-m is not a valid scrub work item"), log.toString());
        assertTrue(log.toString().contains("the item's key names no valid namespace"), log.toString());
        assertTrue(w.pollOnce().isEmpty(), "a rejected item is not tried again");
        assertEquals(List.of(), results(store, "vol-m"), "nothing was scrubbed");
        assertTrue(new ScrubWorkQueue(store).takeRejection("vol-m").isPresent(), "the router finds why");
    }

    @Test
    void anItemWhoseScrubFailsIsRejectedAfterMaxAttempts() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        store.createNamespace("not-a-volume"); // no manifest: every scrub fails
        publish(store, "not-a-volume");
        ScrubWorker w = worker(store, 2, out);
        assertEquals(Map.of("not-a-volume", ScrubWorker.Outcome.FAILED), w.pollOnce());
        ScrubWorkItem item = new ScrubWorkQueue(store).read("not-a-volume").orElseThrow();
        assertEquals(1, item.attempts());
        assertTrue(item.lastError().contains("has no volume manifest"), item.lastError());
        assertEquals(Map.of("not-a-volume", ScrubWorker.Outcome.REJECTED), w.pollOnce());
        assertTrue(w.pollOnce().isEmpty());
        ScrubWorkQueue.Rejection r = new ScrubWorkQueue(store).takeRejection("not-a-volume").orElseThrow();
        assertTrue(r.reason().startsWith("the scrub failed 2 times, last: "), r.reason());
        assertFalse(store.exists("not-a-volume", ScrubResult.LEASE_KEY), "the lease is released after a failure");
    }

    @Test
    void anItemOfADeletedVolumeOrWithAResultWaitingIsRemoved() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        publish(store, "deleted-vol");
        volumeWithGarbage(store, "vol-w", 6);
        store.put("vol-w", ScrubResult.key("g1-s1-1"), ByteBuffer.wrap(new byte[] {1}));
        publish(store, "vol-w");
        Set<String> before = keys(store, "vol-w");
        assertEquals(Map.of("deleted-vol", ScrubWorker.Outcome.GONE, "vol-w", ScrubWorker.Outcome.RESULT_WAITING),
                worker(store, 3, out).pollOnce());
        assertEquals(List.of(), new ScrubWorkQueue(store).pendingNamespaces());
        assertEquals(before, keys(store, "vol-w"), "no second scrub of snapshots whose result is not applied yet");
    }

    @Test
    void aWorkerAskedToStopInTheMiddleOfAScrubRemovesWhatItWroteAndLeavesTheItem() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        volumeWithGarbage(store, "vol-s", 7);
        publish(store, "vol-s");
        Set<String> before = keys(store, "vol-s");
        ScrubWorker[] w = new ScrubWorker[1];
        // stops the worker as the scrub starts, as the SIGTERM hook does
        PrintStream stopping = new PrintStream(new OutputStream() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public void write(int b) {
                log.write(b);
                line.append((char) b);
                if (b == '\n') {
                    if (line.toString().endsWith("scrubbing\n")) {
                        w[0].stop();
                    }
                    line.setLength(0);
                }
            }
        }, true, StandardCharsets.UTF_8);
        w[0] = worker(store, 3, stopping);
        assertEquals(Map.of("vol-s", ScrubWorker.Outcome.STOPPED), w[0].pollOnce(), log.toString());
        assertEquals(before, keys(store, "vol-s"), "partial outputs removed, lease released");
        assertTrue(new ScrubWorkQueue(store).pending("vol-s"), "the item is left for another worker");
        w[0].run();
        assertTrue(w[0].awaitStopped(Duration.ofSeconds(1)), "a stopped worker's loop returns at once");
        assertEquals(Map.of("vol-s", ScrubWorker.Outcome.SCRUBBED), worker(store, 3, out).pollOnce());
    }

    @Test
    void theLoopPollsUntilStoppedAndSettingsAreChecked() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        ScrubWorker w = worker(store, 3, out);
        Thread loop = new Thread(w::run);
        loop.start();
        volumeWithGarbage(store, "vol-l", 8);
        publish(store, "vol-l");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (results(store, "vol-l").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        w.stop();
        assertTrue(w.awaitStopped(Duration.ofSeconds(10)), "stop ends the loop");
        loop.join(1000);
        assertEquals(1, results(store, "vol-l").size(), log.toString());
        assertEquals("the poll interval must be 100ms to 1h: PT0.05S", org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> new ScrubWorker.Settings(Duration.ofMillis(50), tmp,
                        Duration.ofSeconds(30), 3)).getMessage());
        assertEquals("maxAttempts must be 1-100: 0", org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> new ScrubWorker.Settings(Duration.ofSeconds(1), tmp,
                        Duration.ofSeconds(30), 0)).getMessage());
    }
}
