package io.scoria.accelerator.cluster;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.accelerator.WriteListener;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The window fencing leaves open on backends without conditional puts: an owner loses its lease while
 * one of its SCO puts is in flight, another node is granted the volume, writes and uploads, and then
 * the old put lands. With object numbers reserved per epoch ({@link NumberRanges}) the old put lands
 * on a key the new owner never used, so the new owner's data reads back from the backend alone; with
 * numbers taken from what the backend lists, the new owner's SCO of the same number is replaced.
 * Real ZooKeeper, two engines over one in-memory backend.
 */
class StaleOwnerUploadTest {
    private static final int MIB = 1 << 20;
    @TempDir
    Path tmp;
    private ZooKeeperFixture zk;
    private final List<CuratorFramework> clients = new CopyOnWriteArrayList<>();
    private final ExecutorService events = Executors.newSingleThreadExecutor();
    private final InMemoryObjectStore backend = new InMemoryObjectStore();

    @BeforeEach
    void setUp() throws Exception {
        zk = new ZooKeeperFixture();
    }

    @AfterEach
    void tearDown() throws Exception {
        clients.forEach(CuratorFramework::close);
        events.shutdownNow();
        zk.close();
    }

    private CuratorFramework client() throws InterruptedException {
        CuratorFramework c = zk.client();
        clients.add(c);
        return c;
    }

    private Leases leases(String node) throws InterruptedException {
        CuratorFramework c = client();
        Leases l = new Leases(c, new Znodes("/scoria"), node, null, events, lost -> { }, v -> { });
        c.getConnectionStateListenable().addListener((client, state) -> l.stateChanged(state));
        return l;
    }

    private EngineConfig config(String node) {
        return EngineConfig.defaults(tmp.resolve(node)).withScoCacheBytes(64L * MIB).withClusterCacheBytes(16L * MIB)
                .withScosPerTlog(2).withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
    }

    private static byte[] data(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer back = ByteBuffer.allocate(length);
        v.read(offset, back);
        return back.array();
    }

    @Test
    void anSCOPutOfAFencedOwnerLandingLateNeverReplacesTheNewOwnersData() throws Exception {
        Leases nodeA = leases("node-a");
        Leases nodeB = leases("node-b");
        nodeA.acquire("vm1");
        CountDownLatch inFlight = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        FaultInjectingStore storeA = new FaultInjectingStore(backend);
        byte[] before = data(1, 2 * MIB); // two SCOs: a full TLog, uploaded and published
        byte[] stale = data(2, MIB);
        byte[] mine = data(3, MIB);
        LocalVolumeService a = new LocalVolumeService(storeA, config("a"), WriteListener.Factory.NONE, nodeA);
        try {
            a.create("vm1", new VolumeSpec(64L * MIB, 4096, MIB));
            Volume va = a.open("vm1");
            va.write(0, ByteBuffer.wrap(before), true);
            assertTrue(a.awaitUploads(Duration.ofSeconds(30)));
            storeA.latency(c -> {
                if (c.op() == FaultInjectingStore.Op.PUT && c.key().startsWith(NamespaceLayout.SCO_PREFIX)) {
                    inFlight.countDown();
                    try {
                        land.await(); // node-a's put is on the wire while its lease ends
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return Duration.ZERO;
            });
            va.write(8L * MIB, ByteBuffer.wrap(stale), true);
            va.flush();
            assertTrue(inFlight.await(30, TimeUnit.SECONDS), "node-a started putting its next SCO");

            // node-a turns zombie: its owner znode goes without it noticing; node-b is granted epoch 2
            client().delete().forPath("/scoria/volumes/vm1/owner");
            nodeB.acquire("vm1");
            try (LocalVolumeService b = new LocalVolumeService(backend, config("b"), WriteListener.Factory.NONE, nodeB)) {
                Volume vb = b.open("vm1"); // rebuilt from the backend: node-a's last SCO is not there yet
                vb.write(16L * MIB, ByteBuffer.wrap(mine), true);
                vb.flush();
                b.closeVolume("vm1");
                assertTrue(b.awaitUploads(Duration.ofSeconds(30)), "node-b's SCOs, TLogs and manifest are on the backend");
            }
            land.countDown(); // and now node-a's put lands
            storeA.heal();
            Thread.sleep(500); // its retries and later puts run (refused or harmless)
        } finally {
            land.countDown();
            a.close();
        }
        try (LocalVolumeService b2 = new LocalVolumeService(backend, config("b2"), WriteListener.Factory.NONE, nodeB)) {
            Volume v = b2.open("vm1"); // from the backend alone, on an empty data dir
            assertArrayEquals(before, read(v, 0, 2 * MIB), "written under epoch 1 and uploaded before the take-over");
            assertArrayEquals(mine, read(v, 16L * MIB, MIB), "node-b's write reads back after node-a's late put");
        }
    }
}
