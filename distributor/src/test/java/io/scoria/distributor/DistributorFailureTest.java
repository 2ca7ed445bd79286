package io.scoria.distributor;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.store.Distributor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static io.scoria.distributor.TestCluster.bytes;
import static io.scoria.distributor.TestCluster.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The failure behaviour of issue 3, with 4+2 over six fault-injecting in-memory stores. */
class DistributorFailureTest {
    private static final String NS = "vol-1";
    private static final int[] SIZES = {1, 4096, 100_000, 4 << 20, (1 << 20) + 17, 3 * 65536 * 4 + 5};

    private TestCluster cluster;
    private Distributor distributor;

    private Distributor open(TestCluster c, Policy policy) {
        cluster = c;
        distributor = new Distributor(DistributorConfig.of(c.stores, policy));
        distributor.createNamespace(NS);
        return distributor;
    }

    @AfterEach
    void close() {
        if (distributor != null) {
            distributor.close();
        }
    }

    private Map<String, byte[]> putObjects(Distributor d) {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (int size : SIZES) {
            byte[] data = random(size, size);
            d.put(NS, "obj/" + size, ByteBuffer.wrap(data));
            objects.put("obj/" + size, data);
        }
        return objects;
    }

    private void assertAllReadable(Distributor d, Map<String, byte[]> objects, String situation) {
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            byte[] data = e.getValue();
            assertArrayEquals(data, bytes(d.get(NS, e.getKey())), e.getKey() + " with " + situation);
            if (data.length > 8192) {
                int off = data.length / 3;
                byte[] want = java.util.Arrays.copyOfRange(data, off, off + 4096);
                assertArrayEquals(want, bytes(d.get(NS, e.getKey(), off, 4096)), e.getKey() + " ranged, " + situation);
            }
        }
    }

    @Test
    void anyTwoStoresDownEveryObjectStillReadsByteExact() {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6).withMegaBlockSize(65536));
        Map<String, byte[]> objects = putObjects(d);
        for (int a = 0; a < 6; a++) {
            for (int b = a + 1; b < 6; b++) {
                cluster.faults.get(a).down(true);
                cluster.faults.get(b).down(true);
                d.forgetCachedManifests(NS);
                assertAllReadable(d, objects, "s" + a + " and s" + b + " down");
                cluster.healAll();
            }
        }
    }

    @Test
    void degradedWritesNeedTheMinimumAndRepairRestoresRedundancy() {
        Distributor strict = open(new TestCluster(6), Policy.of(4, 6));
        cluster.fault("s1").down(true);
        cluster.fault("s4").down(true);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> strict.put(NS, "strict", ByteBuffer.wrap(random(5000, 1))));
        assertTrue(e.getMessage().contains("stored only 4 of 6 fragments"), e.getMessage());
        assertTrue(strict.listAll(NS, "").isEmpty(), "a refused put leaves no object");
        strict.close();

        TestCluster c = new TestCluster(6);
        Distributor d = open(c, Policy.of(4, 6).withMinFragments(4));
        c.fault("s1").down(true);
        c.fault("s4").down(true);
        Map<String, byte[]> objects = putObjects(d);
        assertAllReadable(d, objects, "s1 and s4 down during the write");
        assertEquals(4, d.manifest(NS, "obj/4096").storedFragments());

        c.healAll();
        JobProgress repaired = d.repair(NS, null, null, null);
        assertTrue(repaired.finished());
        assertEquals(objects.size(), repaired.objects());
        assertEquals(2L * (objects.size() - 0), repaired.fragmentsRebuilt(), repaired.toString());
        assertEquals(0, repaired.objectsFailed());
        for (String key : objects.keySet()) {
            assertEquals(6, d.manifest(NS, key).storedFragments(), key);
        }
        // full redundancy again: any other two stores may now fail
        c.fault("s0").down(true);
        c.fault("s2").down(true);
        d.forgetCachedManifests(NS);
        assertAllReadable(d, objects, "s0 and s2 down after repair");
    }

    @Test
    void aFlippedByteInAnyFragmentIsDetectedAndNeverReturned() {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6).withMegaBlockSize(65536));
        byte[] data = random(4 * 65536 * 2 + 999, 3);
        d.put(NS, "victim", ByteBuffer.wrap(data));
        Manifest m = d.manifest(NS, "victim");
        for (Manifest.Fragment f : m.fragments()) {
            for (long offset : new long[] {0, 4096 + 4 + 17, f.storedLength() - 1}) {
                cluster.memory(f.store()).corrupt(NS, m.fragmentKey(f.index()), (int) offset);
                assertArrayEquals(data, bytes(d.get(NS, "victim")), "fragment " + f.index() + " byte " + offset);
                int rangeStart = f.index() < 4 ? f.index() * 65536 : 0;
                assertArrayEquals(java.util.Arrays.copyOfRange(data, rangeStart, rangeStart + 4096),
                        bytes(d.get(NS, "victim", rangeStart, 4096)), "4 KiB read, fragment " + f.index());
                cluster.memory(f.store()).corrupt(NS, m.fragmentKey(f.index()), (int) offset); // flip back
            }
        }
        // a corrupt fragment is found and rewritten by repair
        Manifest.Fragment f2 = m.fragments().get(2);
        cluster.memory(f2.store()).corrupt(NS, m.fragmentKey(2), 5000);
        JobProgress p = d.repair(NS, null, null, null);
        assertEquals(1, p.fragmentsMissing(), p.toString());
        assertEquals(1, p.fragmentsRebuilt(), p.toString());
        byte[] healed = bytes(cluster.memory(f2.store()).get(NS, m.fragmentKey(2)));
        assertEquals(f2.crc32c(), io.scoria.distributor.stripe.StripeLayout.crc32c(healed, 0, healed.length));
    }

    @Test
    void aSmallReadIsOneRangedGetOfOneDataFragment() {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6));
        byte[] data = random(4 << 20, 4);
        d.put(NS, "sco", ByteBuffer.wrap(data));
        long before = cluster.totalGets();
        long bytesBefore = cluster.faults.stream().mapToLong(f -> f.metrics().bytesRead()).sum();
        ByteBuffer got = d.get(NS, "sco", (2 << 20) + 8192, 4096);
        assertArrayEquals(java.util.Arrays.copyOfRange(data, (2 << 20) + 8192, (2 << 20) + 12288), bytes(got));
        assertEquals(1, cluster.totalGets() - before, "one GET");
        long bytesRead = cluster.faults.stream().mapToLong(f -> f.metrics().bytesRead()).sum() - bytesBefore;
        assertEquals(4096 + 4, bytesRead, "one 4 KiB chunk and its CRC32C");
    }

    @Test
    void aStoreAnsweringAfterTwoSecondsDoesNotSlowSmallReads() {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6));
        byte[] data = random(4 << 20, 5);
        d.put(NS, "sco", ByteBuffer.wrap(data));
        Manifest m = d.manifest(NS, "sco");
        for (FaultInjectingStore f : cluster.faults) {
            f.latency(c -> Duration.ofMillis(5));
        }
        for (int dataFragment = 0; dataFragment < 4; dataFragment++) {
            String slow = m.fragments().get(dataFragment).store();
            cluster.fault(slow).latency(c -> c.op() == FaultInjectingStore.Op.READ || c.op() == FaultInjectingStore.Op.GET
                    ? Duration.ofSeconds(2) : Duration.ofMillis(5));
            int offset = dataFragment * (1 << 20) + 4096;
            long t0 = System.nanoTime();
            ByteBuffer got = d.get(NS, "sco", offset, 4096);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertArrayEquals(java.util.Arrays.copyOfRange(data, offset, offset + 4096), bytes(got));
            assertTrue(ms < 1000, "4 KiB read from slow store " + slow + " took " + ms + " ms");
            cluster.fault(slow).latency(c -> Duration.ofMillis(5));
        }
    }

    @Test
    void moreStoresLostThanParityIsAClearErrorNotWrongData() {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6));
        d.put(NS, "precious", ByteBuffer.wrap(random(300_000, 6)));
        cluster.fault("s0").down(true);
        cluster.fault("s3").down(true);
        cluster.fault("s5").down(true);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> d.get(NS, "precious"));
        assertTrue(e.getMessage().contains("'precious'"), e.getMessage());
        assertTrue(e.getMessage().contains("only 3 of 6 fragments found"), e.getMessage());
        d.forgetCachedManifests(NS);
        BackendUnavailableException cold = assertThrows(BackendUnavailableException.class, () -> d.get(NS, "precious"));
        assertTrue(cold.getMessage().contains("'precious'"), cold.getMessage());
    }

    @Test
    void fragmentsOfAStripeNeverShareAFailureDomainWhenEnoughExist() {
        Distributor d = open(new TestCluster(12, 6), Policy.of(4, 6));
        for (int i = 0; i < 30; i++) {
            d.put(NS, "k" + i, ByteBuffer.wrap(random(1000, i)));
            Set<String> domains = new HashSet<>();
            for (Manifest.Fragment f : d.manifest(NS, "k" + i).fragments()) {
                String domain = cluster.stores.stream().filter(s -> s.name().equals(f.store())).findFirst().orElseThrow()
                        .failureDomain();
                assertTrue(domains.add(domain), "k" + i + ": two fragments in " + domain);
            }
        }
    }

    @Test
    void readersNeverSeeAMixOfOldAndNewDuringOverwrites() throws Exception {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6).withMegaBlockSize(16384));
        int size = 200_000;
        d.put(NS, "hot", ByteBuffer.wrap(filled(size, 0)));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get() && problem.get() == null) {
                    byte[] got = bytes(d.get(NS, "hot"));
                    for (byte b : got) {
                        if (b != got[0]) {
                            problem.set("mixed versions " + got[0] + " and " + b);
                            break;
                        }
                    }
                    reads.incrementAndGet();
                }
            } catch (RuntimeException e) {
                problem.set("read failed: " + e);
            }
        });
        reader.start();
        for (int v = 1; v <= 40; v++) {
            d.put(NS, "hot", ByteBuffer.wrap(filled(size, v)));
        }
        stop.set(true);
        reader.join();
        assertNull(problem.get());
        assertTrue(reads.get() > 0, "the reader ran");
        assertArrayEquals(filled(size, 40), bytes(d.get(NS, "hot")));
    }

    @Test
    void aPutWhoseManifestReachedTooFewStoresKeepsWhatReadersMaySee() {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6));
        byte[] older = random(20_000, 1);
        d.put(NS, "obj", ByteBuffer.wrap(older));
        byte[] newer = random(30_000, 2);
        for (int i = 1; i < 6; i++) {
            cluster.faults.get(i).failWhen(c -> c.op() == FaultInjectingStore.Op.PUT && c.key().startsWith("m/"));
        }
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> d.put(NS, "obj", ByteBuffer.wrap(newer)));
        assertTrue(e.getMessage().contains("stored on only 1 stores"), e.getMessage());
        cluster.healAll();
        d.forgetCachedManifests(NS);
        byte[] seen = bytes(d.get(NS, "obj"));
        assertTrue(java.util.Arrays.equals(seen, older) || java.util.Arrays.equals(seen, newer),
                "a failed put leaves the old or the new object, whole");
        JobProgress p = d.repair(NS, null, null, null);
        assertEquals(1, p.manifestsWritten(), p.toString());
        d.forgetCachedManifests(NS);
        assertArrayEquals(newer, bytes(d.get(NS, "obj")), "repair spreads the newest manifest, whose fragments were kept");
        cluster.fault("s0").down(true);
        d.forgetCachedManifests(NS);
        assertArrayEquals(newer, bytes(d.get(NS, "obj")));
    }

    @Test
    void listingWithAColdCacheAndFewIoThreadsCompletes() {
        Distributor d = open(new TestCluster(6), Policy.of(4, 6));
        for (int i = 0; i < 120; i++) {
            d.put(NS, String.format("k/%03d", i), ByteBuffer.wrap(random(10 + i, i)));
        }
        // a second distributor over the same stores: nothing cached, only 4 I/O threads
        Distributor cold = new Distributor(new DistributorConfig(cluster.stores, Policy.of(4, 6), null, 4, 1000, java.util.Set.of()));
        java.util.List<io.scoria.backend.ObjectInfo> all = cold.listAll(NS, "k/");
        assertEquals(120, all.size());
        assertEquals(10 + 7, all.get(7).size());
    }

    private static byte[] filled(int size, int value) {
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }
}
