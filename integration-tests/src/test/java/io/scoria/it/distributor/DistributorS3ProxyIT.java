package io.scoria.it.distributor;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.distributor.store.Distributor;
import io.scoria.distributor.DistributorConfig;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.JobProgress;
import io.scoria.distributor.Policy;
import io.scoria.it.harness.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The distributor, 4+2 over six real s3proxy processes, while they are killed with SIGKILL:
 * two dead servers lose nothing, degraded writes are repaired when they return, three dead
 * servers give a clear error instead of wrong data.
 */
class DistributorS3ProxyIT {
    private static final String NS = "dist-it";
    private static final List<S3ProxyServer> servers = new ArrayList<>();

    @BeforeAll
    static void startServers() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<S3ProxyServer>> starting = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String name = "dist" + i;
                starting.add(pool.submit(() -> S3ProxyServer.start(name)));
            }
            for (Future<S3ProxyServer> f : starting) {
                servers.add(f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (S3ProxyServer s : servers) {
            s.close();
        }
    }

    private static Distributor distributor(Policy policy) {
        List<FragmentStore> stores = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            S3ObjectStore s3 = new S3ObjectStore(S3StoreConfig.of(servers.get(i).endpoint(), S3ProxyServer.ACCESS_KEY,
                    S3ProxyServer.SECRET_KEY).withMaxAttempts(1));
            stores.add(new FragmentStore("s3-" + i, "node-" + i, s3));
        }
        return new Distributor(DistributorConfig.of(stores, policy));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static void assertReadable(Map<String, byte[]> objects, String situation) {
        try (Distributor fresh = distributor(Policy.of(4, 6))) {
            for (Map.Entry<String, byte[]> e : objects.entrySet()) {
                byte[] data = e.getValue();
                assertArrayEquals(data, bytes(fresh.get(NS, e.getKey())), e.getKey() + ", " + situation);
                int off = data.length / 2;
                int n = Math.min(4096, data.length - off);
                assertArrayEquals(Arrays.copyOfRange(data, off, off + n), bytes(fresh.get(NS, e.getKey(), off, n)),
                        e.getKey() + " ranged, " + situation);
            }
        }
    }

    @Test
    void killedServersLoseNothingAndRepairRestoresRedundancy() throws Exception {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        try (Distributor d = distributor(Policy.of(4, 6))) {
            d.createNamespace(NS);
            for (int i = 0; i < 4; i++) {
                byte[] data = random(i == 0 ? 4 << 20 : 10_000 * (i + 1) + i, i);
                d.put(NS, "sco/" + i, ByteBuffer.wrap(data));
                objects.put("sco/" + i, data);
            }
        }
        servers.get(1).kill9();
        servers.get(4).kill9();
        assertReadable(objects, "servers 1 and 4 killed");

        try (Distributor strict = distributor(Policy.of(4, 6))) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> strict.put(NS, "refused", ByteBuffer.wrap(random(5000, 9))));
            assertTrue(e.getMessage().contains("stored only 4 of 6 fragments"), e.getMessage());
        }
        try (Distributor degraded = distributor(Policy.of(4, 6).withMinFragments(4))) {
            byte[] data = random(3 << 20, 10);
            degraded.put(NS, "sco/degraded", ByteBuffer.wrap(data));
            objects.put("sco/degraded", data);
            assertEquals(4, degraded.manifest(NS, "sco/degraded").storedFragments());
        }
        assertReadable(objects, "servers 1 and 4 still down after a degraded write");

        servers.get(1).start();
        servers.get(4).start();
        try (Distributor d = distributor(Policy.of(4, 6))) {
            JobProgress p = d.repair(NS, null, null, null);
            assertTrue(p.finished());
            assertEquals(objects.size(), p.objects());
            assertEquals(2, p.fragmentsRebuilt(), "the two fragments the degraded write could not store: " + p);
            assertEquals(0, p.objectsFailed());
            assertEquals(6, d.manifest(NS, "sco/degraded").storedFragments());
        }
        servers.get(0).kill9();
        servers.get(5).kill9();
        assertReadable(objects, "servers 0 and 5 killed after repair");

        servers.get(2).kill9();
        try (Distributor d = distributor(Policy.of(4, 6))) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> d.get(NS, "sco/0"));
            assertTrue(e.getMessage().contains("sco/0"), e.getMessage());
        }
        for (int i : new int[] {0, 2, 5}) {
            servers.get(i).start();
        }
        assertReadable(objects, "all servers back");
    }
}
