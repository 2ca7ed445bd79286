package io.scoria.distributor;

import io.scoria.distributor.store.Distributor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.scoria.distributor.TestCluster.bytes;
import static io.scoria.distributor.TestCluster.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stores that come back empty (wiped directory, new bucket: the namespace is gone) count as lost
 * fragments: reads, lists and writes keep working from the others, the status names them, and
 * repair refills them so that two other stores may then be lost.
 */
class EmptyStoreTest {
    private static final String NS = "vol-empty";
    private final TestCluster cluster = new TestCluster(6);
    private final Distributor d = new Distributor(DistributorConfig.of(cluster.stores, Policy.parse("4+2")));

    @AfterEach
    void close() {
        d.close();
    }

    private Map<String, byte[]> fill(int count, int seed) {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byte[] data = random(3000 + i * 4099, seed + i);
            String key = String.format("sco/%d-%04d", seed, i);
            d.put(NS, key, ByteBuffer.wrap(data));
            objects.put(key, data);
        }
        return objects;
    }

    private void assertReadable(Map<String, byte[]> objects) {
        d.forgetCachedManifests(NS);
        assertEquals(objects.size(), d.listAll(NS, "").size(), "every object listed");
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            assertArrayEquals(e.getValue(), bytes(d.get(NS, e.getKey())), e.getKey());
        }
    }

    @Test
    void wipedStoresAreReportedReadAroundAndRefilledByRepair() {
        d.createNamespace(NS);
        Map<String, byte[]> objects = fill(20, 1);
        DistributorStatus before = d.status();
        assertTrue(before.fullRedundancy(), before.toString());
        assertEquals(20, before.objects());

        cluster.memory("s1").deleteNamespace(NS);
        cluster.memory("s4").deleteNamespace(NS);
        DistributorStatus wiped = d.status();
        assertFalse(wiped.fullRedundancy());
        assertEquals(DistributorStatus.Health.EMPTY, health(wiped, "s1"));
        assertEquals(DistributorStatus.Health.EMPTY, health(wiped, "s4"));
        assertEquals(DistributorStatus.Health.OK, health(wiped, "s0"));
        assertEquals(20, wiped.objectsDegraded(), "every object had fragments on both wiped stores");
        assertEquals(0, wiped.objectsUnreadable());
        assertEquals(40, wiped.fragmentsMissing());
        assertReadable(objects);

        objects.putAll(fill(5, 2)); // writes go on: the wiped stores get their namespace back
        assertTrue(cluster.memory("s1").namespaceExists(NS));

        JobProgress repaired = d.repair(NS, null, null, null);
        assertTrue(repaired.finished());
        assertEquals(40, repaired.fragmentsRebuilt(), repaired.toString());
        assertEquals(0, repaired.objectsFailed());
        DistributorStatus after = d.status();
        assertTrue(after.fullRedundancy(), after.toString());
        assertTrue(after.stores().stream().allMatch(s -> s.fragments() > 0), after.toString());

        cluster.fault("s0").down(true);
        cluster.fault("s2").down(true);
        assertReadable(objects);
        DistributorStatus down = d.status();
        assertEquals(DistributorStatus.Health.UNAVAILABLE, health(down, "s0"));
        assertFalse(down.fullRedundancy());
        assertEquals(25, down.objectsDegraded());
    }

    @Test
    void aNamespaceNoStoreHasIsStillNotFound() {
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(io.scoria.backend.NotFoundException.class,
                () -> d.put("nowhere", "k", ByteBuffer.wrap(new byte[10]))).getMessage().contains("nowhere"));
        assertFalse(cluster.memory("s0").namespaceExists("nowhere"), "no store got the namespace");
    }

    private static DistributorStatus.Health health(DistributorStatus s, String store) {
        return s.stores().stream().filter(x -> x.name().equals(store)).findFirst().orElseThrow().health();
    }
}
