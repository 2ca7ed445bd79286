package io.scoria.distributor;

import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.store.Distributor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.scoria.distributor.TestCluster.bytes;
import static io.scoria.distributor.TestCluster.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Repair, rebalance and re-encode: effects, progress, stop and resume. */
class DistributorJobsTest {
    private static final String NS = "vol-jobs";
    private final List<Distributor> open = new ArrayList<>();

    private Distributor open(List<FragmentStore> stores, Policy policy) {
        Distributor d = new Distributor(DistributorConfig.of(stores, policy));
        open.add(d);
        d.createNamespace(NS);
        return d;
    }

    @AfterEach
    void close() {
        // the stores are shared between distributors of one test: close only the last (it closes the stores)
        if (!open.isEmpty()) {
            open.get(open.size() - 1).close();
        }
    }

    private static Map<String, byte[]> fill(Distributor d, int count) {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byte[] data = random(1000 + i * 7919, i);
            String key = String.format("sco/%04d", i);
            d.put(NS, key, ByteBuffer.wrap(data));
            objects.put(key, data);
        }
        return objects;
    }

    private static void assertReadable(Distributor d, Map<String, byte[]> objects) {
        d.forgetCachedManifests(NS);
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            assertArrayEquals(e.getValue(), bytes(d.get(NS, e.getKey())), e.getKey());
        }
    }

    @Test
    void repairRebuildsAWipedStoreAndCanBeStoppedAndResumed() {
        TestCluster c = new TestCluster(6);
        Distributor d = open(c.stores, Policy.of(4, 6).withMegaBlockSize(16384));
        Map<String, byte[]> objects = fill(d, 20);
        long onS3 = objects.keySet().stream()
                .mapToLong(k -> d.manifest(NS, k).fragments().stream().filter(f -> "s3".equals(f.store())).count()).sum();
        assertTrue(onS3 > 0);
        c.memory("s3").deleteNamespace(NS); // the disk was replaced
        c.memory("s3").createNamespace(NS);

        AtomicInteger calls = new AtomicInteger();
        JobProgress first = d.repair(NS, null, p -> calls.incrementAndGet(), () -> calls.get() >= 7);
        assertFalse(first.finished());
        assertEquals(7, first.objects());
        assertEquals("sco/0006", first.lastKey());

        JobProgress saved = d.savedProgress(NS, "repair");
        assertEquals("sco/0006", saved.lastKey(), "the stopped job's checkpoint is on the stores");
        assertFalse(saved.finished());

        List<JobProgress> seen = new ArrayList<>();
        JobProgress rest = d.repair(NS, saved.lastKey(), seen::add, null);
        assertTrue(rest.finished());
        assertEquals(13, rest.objects());
        assertEquals(onS3, first.fragmentsRebuilt() + rest.fragmentsRebuilt());
        assertEquals(onS3, first.fragmentsMissing() + rest.fragmentsMissing());
        assertTrue(seen.size() >= 13, "progress after each object");
        assertTrue(d.savedProgress(NS, "repair").finished());

        JobProgress again = d.repair(NS, null, null, null);
        assertEquals(0, again.fragmentsMissing(), "nothing left to repair: " + again);
        c.fault("s0").down(true);
        c.fault("s5").down(true);
        assertReadable(d, objects);
    }

    @Test
    void rebalanceFillsAnAddedStoreAndRebuildsARemovedOne() {
        TestCluster c = new TestCluster(6);
        Distributor d = open(c.stores, Policy.of(4, 6));
        Map<String, byte[]> objects = fill(d, 30);

        FragmentStore added = c.add("s6", "d6");
        Distributor grown = open(c.stores, Policy.of(4, 6));
        JobProgress p = grown.rebalance(NS, null, null, null);
        assertTrue(p.finished());
        assertTrue(p.fragmentsMoved() > 0, "some fragments move to the new store: " + p);
        long onNew = objects.keySet().stream()
                .mapToLong(k -> grown.manifest(NS, k).fragments().stream().filter(f -> "s6".equals(f.store())).count()).sum();
        assertEquals(p.fragmentsMoved(), onNew, "moves only go to the added store");
        assertTrue(added.store().listAll(NS, "f/").size() == onNew, "its fragments are really there");
        assertReadable(grown, objects);
        Map<String, Integer> fill = new HashMap<>();
        for (String k : objects.keySet()) {
            grown.manifest(NS, k).fragments().forEach(f -> fill.merge(f.store(), 1, Integer::sum));
        }
        assertEquals(7, fill.size(), "every store holds fragments: " + fill);
        int min = fill.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        int max = fill.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertTrue(min >= 15 && max - min <= 12, "180 fragments over 7 stores (25.7 each) spread evenly: " + fill);

        List<FragmentStore> withoutS2 = new ArrayList<>(c.stores);
        withoutS2.removeIf(s -> s.name().equals("s2"));
        Distributor shrunk = open(withoutS2, Policy.of(4, 6));
        JobProgress removed = shrunk.rebalance(NS, null, null, null);
        assertTrue(removed.fragmentsRebuilt() > 0, removed.toString());
        assertEquals(0, removed.objectsFailed());
        for (String k : objects.keySet()) {
            Manifest m = shrunk.manifest(NS, k);
            assertTrue(m.fragments().stream().noneMatch(f -> "s2".equals(f.store())), k + " still on s2");
            assertEquals(6, m.storedFragments());
        }
        c.fault("s2").down(true); // gone for good
        c.fault("s0").down(true);
        c.fault("s6").down(true);
        assertReadable(shrunk, objects);
    }

    /**
     * Draining a store: nothing new lands on it, a rebalance moves its fragments and manifest replicas to the
     * other stores (copied, not rebuilt), and then everything reads without it.
     */
    @Test
    void aDrainedStoreIsEmptiedByARebalanceAndGetsNothingNew() {
        TestCluster c = new TestCluster(7);
        Distributor d = open(c.stores, Policy.of(4, 6));
        Map<String, byte[]> objects = fill(d, 30);
        FragmentStore s3 = c.stores.stream().filter(s -> s.name().equals("s3")).findFirst().orElseThrow();
        assertFalse(s3.store().listAll(NS, "").isEmpty(), "s3 holds fragments before the drain");

        Distributor draining = new Distributor(DistributorConfig.of(c.stores, Policy.of(4, 6)).withDraining(Set.of("s3")));
        open.add(draining);
        Map<String, byte[]> later = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            byte[] data = random(3000 + i, 100 + i);
            draining.put(NS, "new/" + i, ByteBuffer.wrap(data));
            later.put("new/" + i, data);
        }
        for (String k : later.keySet()) {
            assertTrue(draining.manifest(NS, k).fragments().stream().noneMatch(f -> "s3".equals(f.store())), k + " placed on s3");
        }
        assertTrue(s3.store().listAll(NS, "new/").isEmpty(), "no fragment or manifest of a new object on the draining store");
        assertTrue(draining.status().stores().stream().anyMatch(st -> st.name().equals("s3") && st.draining()));

        JobProgress p = draining.rebalance(NS, null, null, null);
        assertTrue(p.finished());
        assertEquals(0, p.objectsFailed());
        assertTrue(p.fragmentsMoved() > 0, p.toString());
        assertEquals(0, p.fragmentsRebuilt(), "a draining store is read, its fragments copied: " + p);
        List<String> left = s3.store().listAll(NS, "").stream().map(o -> o.key())
                .filter(k -> !k.startsWith(io.scoria.distributor.jobs.Checkpoints.PREFIX)).toList();
        assertEquals(List.of(), left, "nothing but job checkpoints left on the drained store");
        c.fault("s3").down(true); // now it can go
        objects.putAll(later);
        assertReadable(draining, objects);
        c.fault("s0").down(true);
        assertReadable(draining, objects);
    }

    @Test
    void drainingMoreStoresThanThePolicyCanSpareIsRefused() {
        TestCluster c = new TestCluster(7);
        var e = assertThrows(IllegalArgumentException.class,
                () -> DistributorConfig.of(c.stores, Policy.of(4, 6)).withDraining(Set.of("s1", "s2")));
        assertTrue(e.getMessage().contains("not being drained"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DistributorConfig.of(c.stores, Policy.of(4, 6)).withDraining(Set.of("s9")));
        c.stores.forEach(s -> s.store().close());
    }

    @Test
    void reencodeChangesThePolicyWhileReadersKeepReading() throws Exception {
        TestCluster c = new TestCluster(8);
        Distributor d = open(c.stores, Policy.of(4, 6).withMegaBlockSize(16384));
        Map<String, byte[]> objects = fill(d, 15);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    for (Map.Entry<String, byte[]> e : objects.entrySet()) {
                        if (!java.util.Arrays.equals(e.getValue(), bytes(d.get(NS, e.getKey())))) {
                            problem.set("wrong bytes for " + e.getKey());
                        }
                        reads.incrementAndGet();
                    }
                }
            } catch (RuntimeException e) {
                problem.set("read failed: " + e);
            }
        });
        reader.start();
        Policy target = Policy.of(5, 8).withMegaBlockSize(16384);
        JobProgress p = d.reencode(NS, target, null, null, null);
        stop.set(true);
        reader.join();
        assertNull(problem.get());
        assertTrue(reads.get() > 0);
        assertEquals(15, p.objectsReencoded());
        Map<String, Integer> policies = new HashMap<>();
        for (String k : objects.keySet()) {
            Manifest m = d.manifest(NS, k);
            policies.merge(m.dataFragments() + "+" + (m.totalFragments() - m.dataFragments()), 1, Integer::sum);
        }
        assertEquals(Map.of("5+3", 15), policies);
        assertEquals(0, d.reencode(NS, target, null, null, null).objectsReencoded(), "second run has nothing to do");
        // 5+3 tolerates three lost stores
        c.fault("s1").down(true);
        c.fault("s3").down(true);
        c.fault("s7").down(true);
        d.forgetCachedManifests(NS);
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            assertArrayEquals(e.getValue(), bytes(d.get(NS, e.getKey())), e.getKey());
        }
    }

    @Test
    void orphanFragmentsAreCollectedAndLiveOnesKept() {
        TestCluster c = new TestCluster(6);
        Distributor d = open(c.stores, Policy.of(4, 6));
        Map<String, byte[]> objects = fill(d, 5);
        Manifest m = d.manifest(NS, "sco/0001");
        String ghost = Manifest.fragmentKey("ghost", 1, 0);
        String stale = Manifest.fragmentKey("sco/0001", m.generation() - 1, 3);
        String misplaced = m.fragmentKey(2);
        String wrongStore = c.stores.stream().map(FragmentStore::name)
                .filter(n -> !n.equals(m.fragments().get(2).store())).findFirst().orElseThrow();
        c.memory("s0").put(NS, ghost, ByteBuffer.wrap(new byte[10]));
        c.memory("s1").put(NS, stale, ByteBuffer.wrap(new byte[10]));
        c.memory(wrongStore).put(NS, misplaced, ByteBuffer.wrap(new byte[10]));
        long before = c.memory.stream().mapToLong(s -> s.listAll(NS, "f/").size()).sum();

        assertEquals(0, d.collectOrphans(NS, java.time.Duration.ofMinutes(10)), "young fragments are kept");
        assertEquals(3, d.collectOrphans(NS, java.time.Duration.ZERO));
        long after = c.memory.stream().mapToLong(s -> s.listAll(NS, "f/").size()).sum();
        assertEquals(before - 3, after);
        assertEquals(5 * 6, after, "every live fragment is kept");
        assertReadable(d, objects);
    }
}
