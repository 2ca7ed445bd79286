package io.scoria.accelerator.cluster;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeFencedException;
import io.scoria.accelerator.VolumeOwnedElsewhereException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two cluster nodes, each a real engine ({@link LocalVolumeService}) on one shared backend, with a
 * real ZooKeeper server: a volume is served by its owner only, the other node names the owner,
 * acknowledgements are held while the owner's session is suspended (given if it resumes, failed
 * after the session timeout), when the owner's session ends the other node takes the volume over
 * under a new epoch and reads what the owner published, and a handover moves a volume with every
 * acknowledged write.
 */
class ClusterNodeTest {
    @TempDir
    Path dir;
    private ZooKeeperFixture zk;
    private final InMemoryObjectStore backend = new InMemoryObjectStore();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        zk = new ZooKeeperFixture();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        zk.close();
    }

    private Node node(String id, String foc) {
        return node(id, foc, foc);
    }

    /**
     * A started node: its engine on the shared backend, the cluster over it. {@code advertisedFoc}: the FOC
     * server it runs (null: none); {@code usesFoc}: the FOC address its volumes use.
     */
    private Node node(String id, String advertisedFoc, String usesFoc) {
        return node(id, advertisedFoc, usesFoc, ZooKeeperFixture.SESSION_MS);
    }

    private Node node(String id, String advertisedFoc, String usesFoc, int sessionMs) {
        String foc = advertisedFoc;
        EngineConfig engineConfig = EngineConfig.defaults(dir.resolve(id)).withScoCacheBytes(64L << 20)
                .withClusterCacheBytes(16L << 20).withRetry(Duration.ofMillis(5), Duration.ofMillis(50));
        ClusterNode node = ClusterNode.connect(zk.config(id, foc, sessionMs), usesFoc);
        LocalVolumeService engine = new LocalVolumeService(backend, engineConfig,
                io.scoria.accelerator.WriteListener.Factory.NONE, node.ownership());
        VolumeService volumes = node.volumes(engine, new LocalCopies() {
            @Override
            public void close(String volume) {
                engine.closeVolume(volume);
            }

            @Override
            public void closeAndUpload(String volume, Duration timeout) {
                engine.closeVolume(volume);
                assertTrue(engine.awaitUploads(timeout), "uploads of " + volume + " not done within " + timeout);
            }

            @Override
            public void forget(String volume) {
                engine.closeVolume(volume);
                engine.forgetLocal(volume);
            }
        });
        node.start("127.0.0.1:1" + id.length() + "809", null, foc, "127.0.0.1:8080");
        toClose.add(volumes);
        return new Node(node, volumes);
    }

    private record Node(ClusterNode cluster, VolumeService volumes) {
    }

    private static byte[] pattern(int seed) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) seed);
        return b;
    }

    private static byte[] read(Volume v, long offset) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        v.read(offset, b);
        return b.array();
    }

    /** True if a write of {@code pattern(seed)} at {@code offset} was acknowledged, false if it was fenced. */
    private static boolean writes(Volume v, long offset, int seed) {
        try {
            v.write(offset, ByteBuffer.wrap(pattern(seed)), false);
            return true;
        } catch (VolumeFencedException fenced) {
            return false;
        }
    }

    @Test
    void onlyTheOwnerServesAVolumeAndTheOthersNameIt() {
        Node a = node("a", null);
        Node b = node("bb", null);
        a.volumes().create("vol", new VolumeSpec(1 << 20, 4096, 1 << 20));
        Volume v = a.volumes().open("vol");
        v.write(0, ByteBuffer.wrap(pattern(7)), true);
        VolumeOwnedElsewhereException e = assertThrows(VolumeOwnedElsewhereException.class, () -> b.volumes().open("vol"));
        assertEquals("a", e.owner());
        assertEquals("127.0.0.1:11809", e.ownerNbd());

        ClusterStatus s = b.cluster().status();
        assertEquals("bb", s.self());
        assertEquals(List.of("a", "bb"), s.nodes().stream().map(ClusterStatus.Node::node).toList());
        assertEquals(List.of("vol"), s.nodes().get(0).volumes());
        assertEquals(List.of(), s.nodes().get(1).volumes());
        assertEquals(List.of(new ClusterStatus.VolumeOwner("vol", "a", 1, null, null)), s.volumes());
    }

    @Test
    void acknowledgementsAreHeldWhileTheOwnersSessionIsSuspendedAndGivenWhenItResumes() throws Exception {
        Node a = node("a", null, null, ZooKeeperFixture.MAX_SESSION_MS);
        a.volumes().create("vol", new VolumeSpec(1 << 20, 4096, 1 << 20));
        ClusterVolume v = (ClusterVolume) a.volumes().open("vol");
        v.write(0, ByteBuffer.wrap(pattern(1)), false);
        zk.server.stop();
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(10), () -> v.lease().state() == Lease.State.SUSPENDED),
                "the lease was not suspended with ZooKeeper stopped");
        CompletableFuture<Void> held = v.writeAsync(4096, ByteBuffer.wrap(pattern(2)), false, Runnable::run);
        assertThrows(VolumeFencedException.class, () -> read(v, 0), "a suspended owner may be stale: no reads");
        Thread.sleep(500);
        assertFalse(held.isDone(), "a write was acknowledged while the lease was suspended");
        zk.server.restart();
        held.get(ZooKeeperFixture.MAX_SESSION_MS, TimeUnit.MILLISECONDS); // the same session resumed: acknowledged
        assertEquals(Lease.State.LIVE, v.lease().state());
        assertEquals(1, v.lease().epoch(), "no new epoch: the ownership never changed");
        assertTrue(writes(v, 8192, 4));
        assertArrayEquals(pattern(1), read(v, 0));
        assertArrayEquals(pattern(2), read(v, 4096));
    }

    @Test
    void anAcknowledgementHeldLongerThanTheSessionTimeoutFails() throws Exception {
        Node a = node("a", null);
        a.volumes().create("vol", new VolumeSpec(1 << 20, 4096, 1 << 20));
        ClusterVolume v = (ClusterVolume) a.volumes().open("vol");
        zk.server.stop();
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(10), () -> v.lease().state() == Lease.State.SUSPENDED));
        long t0 = System.nanoTime();
        assertFalse(writes(v, 0, 1), "acknowledged without ZooKeeper");
        assertTrue(System.nanoTime() - t0 >= ZooKeeperFixture.SESSION_MS * 750_000L,
                "the acknowledgement was not held (until the session timeout or the loss of the session)");
        assertThrows(VolumeFencedException.class, v::flush);
    }

    @Test
    void moveHandsTheVolumeToTheTargetWithEveryAcknowledgedWrite() throws Exception {
        Node a = node("a", null);
        Node b = node("bb", null);
        Node c = node("ccc", null);
        a.volumes().create("vol", new VolumeSpec(1 << 20, 4096, 1 << 20));
        Volume v = a.volumes().open("vol");
        for (int i = 0; i < 40; i++) {
            v.write(i * 4096L, ByteBuffer.wrap(pattern(i + 1)), false); // acknowledged, none forced or uploaded
        }
        UnknownNodeException unknown = assertThrows(UnknownNodeException.class, () -> a.cluster().move("vol", "zz"));
        assertTrue(unknown.getMessage().contains("'zz'") && unknown.getMessage().contains("a, bb, ccc"), unknown.getMessage());
        assertThrows(io.scoria.accelerator.VolumeConflictException.class, () -> a.cluster().move("vol", "a"));
        VolumeOwnedElsewhereException notOwner = assertThrows(VolumeOwnedElsewhereException.class,
                () -> c.cluster().move("vol", "bb"));
        assertEquals("a", notOwner.owner());

        MoveResult r = a.cluster().move("vol", "bb");
        assertEquals(new MoveResult("vol", "a", "bb", 1, 2, r.pauseMs(), r.drainMs(), r.takeoverMs()), r);
        assertTrue(r.pauseMs() >= r.drainMs() + r.takeoverMs() - 2, r.toString());
        io.scoria.accelerator.VolumeMovedException moved = assertThrows(io.scoria.accelerator.VolumeMovedException.class,
                () -> v.write(0, ByteBuffer.wrap(pattern(99)), false));
        assertEquals("bb", moved.target());
        Volume there = b.volumes().open("vol");
        for (int i = 0; i < 40; i++) {
            assertArrayEquals(pattern(i + 1), read(there, i * 4096L), "block " + i);
        }
        assertEquals("bb", assertThrows(VolumeOwnedElsewhereException.class, () -> a.volumes().open("vol")).owner());
        assertEquals("bb", c.cluster().status().volumes().get(0).owner());
        try (var client = zk.client()) {
            assertNull(client.checkExists().forPath("/scoria/volumes/vol/handover"), "the target ends the handover");
        }
        System.out.printf("ClusterNodeTest: handover a -> bb: %s%n", r);
    }

    @Test
    void leaveHandsEveryVolumeToAnotherLiveNodeOrKeepsItWhenAlone() throws Exception {
        Node a = node("a", null);
        a.volumes().create("one", new VolumeSpec(1 << 20, 4096, 1 << 20));
        a.volumes().open("one").write(0, ByteBuffer.wrap(pattern(5)), false);
        a.cluster().leave(); // alone: nothing moves, the volume stays served here
        assertEquals("a", a.cluster().status().volumes().get(0).owner());
        Node b = node("bb", null);
        Node a2 = node("a2", null);
        a2.volumes().create("two", new VolumeSpec(1 << 20, 4096, 1 << 20));
        a2.volumes().open("two").write(0, ByteBuffer.wrap(pattern(6)), false);
        a2.cluster().leave(); // "a" owns one volume, "bb" none: the least loaded takes it
        assertEquals("bb", b.cluster().status().volumes().stream().filter(o -> o.volume().equals("two")).findFirst()
                .orElseThrow().owner());
        assertArrayEquals(pattern(6), read(b.volumes().open("two"), 0));
    }

    @Test
    void whenTheOwnersSessionEndsTheFocNodeTakesTheVolumeOverUnderANewEpoch() throws Exception {
        String foc = "127.0.0.1:10900";
        Node a = node("a", null, foc);
        Node b = node("bb", foc, foc); // runs the FOC server a's volumes use: the preferred new owner
        Node c = node("ccc", null, foc);
        a.volumes().create("vol", new VolumeSpec(1 << 20, 4096, 1 << 20));
        Volume v = a.volumes().open("vol");
        v.write(0, ByteBuffer.wrap(pattern(9)), true);
        v.write(65536, ByteBuffer.wrap(pattern(10)), true);
        assertEquals("bb", c.cluster().status().volumes().get(0).focNode());

        long t0 = System.nanoTime();
        toClose.remove(a.volumes());
        a.volumes().close(); // uploads and publishes under its lease, then its session ends
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(15), () -> c.cluster().status().volumes().stream()
                .anyMatch(o -> o.owner() != null)), "nobody took the volume over");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        ClusterStatus.VolumeOwner o = c.cluster().status().volumes().get(0);
        assertEquals("bb", o.owner(), "the FOC node is preferred");
        assertEquals(2, o.epoch());
        Volume moved = b.volumes().open("vol");
        assertArrayEquals(pattern(9), read(moved, 0));
        assertArrayEquals(pattern(10), read(moved, 65536));
        moved.write(4096, ByteBuffer.wrap(pattern(11)), true);
        assertThrows(VolumeOwnedElsewhereException.class, () -> c.volumes().open("vol"));
        System.out.printf("ClusterNodeTest: volume taken over by node %s %d ms after its owner left%n", o.owner(), ms);
    }
}
