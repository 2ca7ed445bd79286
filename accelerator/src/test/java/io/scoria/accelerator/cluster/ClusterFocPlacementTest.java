package io.scoria.accelerator.cluster;

import io.scoria.accelerator.VolumeFencedException;
import io.scoria.accelerator.foc.FocUnavailableException;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ClusterFocPlacement} against a real ZooKeeper server: each volume's FOC on another live node that
 * advertises a FOC server, recorded only by the volume's current owner, read back as the replay source,
 * and moved when its node leaves, when it stays DEGRADED, or off the owner itself once another node can
 * take it.
 */
class ClusterFocPlacementTest {
    private ZooKeeperFixture zk;
    private final List<CuratorFramework> clients = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService events = Executors.newSingleThreadScheduledExecutor();

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

    /** One node: its session, leases, membership (registered with FOC address {@code foc}, or none) and placement. */
    private final class Node {
        final CuratorFramework client;
        final Leases leases;
        final Membership membership;
        final ClusterFocPlacement placement;

        Node(String id, String foc) throws Exception {
            client = zk.client();
            clients.add(client);
            Znodes paths = new Znodes("/scoria");
            leases = new Leases(client, paths, id, null, events, l -> { }, v -> { });
            membership = new Membership(client, paths, events);
            membership.register(new Znodes.Member(id, "127.0.0.1:1", null, foc, null, "ok"), Duration.ofSeconds(5));
            placement = new ClusterFocPlacement(leases, membership, id, Duration.ofMillis(300));
        }
    }

    /** A fake of the FOC wiring: where each volume's FOC is, whether DEGRADED, and the moves asked. */
    private static final class Links implements FocLinks {
        final Map<String, String> servers = new ConcurrentHashMap<>();
        final Map<String, Boolean> degraded = new ConcurrentHashMap<>();
        final List<String> moves = new CopyOnWriteArrayList<>();
        ClusterFocPlacement placement;

        @Override
        public String server(String volume) {
            return servers.get(volume);
        }

        @Override
        public boolean degraded(String volume) {
            return degraded.getOrDefault(volume, false);
        }

        @Override
        public void move(String volume, String address, Duration within) {
            moves.add(volume + "->" + address);
            servers.put(volume, address);
            degraded.put(volume, false);
            placement.placed(volume, address);
        }
    }

    @Test
    void placesOnAnotherNodeRecordsOnlyUnderTheOwnersEpochAndNamesTheReplaySource() throws Exception {
        Node a = new Node("a", "10.0.0.1:7001");
        Node b = new Node("b", "10.0.0.2:7001");
        new Node("c", "10.0.0.3:7001");
        a.leases.acquire("vol");
        String at = a.placement.place("vol");
        assertNotEquals("10.0.0.1:7001", at, "never on the owner while another node has a FOC server");
        assertEquals(at, a.placement.place("vol"), "stable while the membership is");
        assertNull(a.placement.previous("vol"), "no FOC recorded yet");
        assertEquals(1, a.placement.ownerEpoch("vol"), "the owner registers at FOC servers with its lease's epoch");
        a.placement.placed("vol", at);
        assertEquals(at, b.placement.previous("vol"), "any node reads where the FOC is");

        assertThrows(VolumeFencedException.class, () -> b.placement.placed("vol", "10.0.0.2:7001"),
                "a node without the lease cannot move the record");
        assertThrows(VolumeFencedException.class, () -> b.placement.ownerEpoch("vol"));

        // a zombie: node a's owner znode goes without node a noticing, node b is granted epoch 2
        CuratorFramework admin = zk.client();
        clients.add(admin);
        admin.delete().forPath("/scoria/volumes/vol/owner");
        b.leases.acquire("vol");
        assertThrows(VolumeFencedException.class, () -> a.placement.placed("vol", "10.0.0.3:7001"),
                "an owner whose epoch is over cannot record anything");
        assertEquals(at, b.placement.previous("vol"), "the new owner replays from where the old one mirrored");
        b.placement.placed("vol", "10.0.0.1:7001");
        assertEquals("10.0.0.1:7001", a.placement.previous("vol"));
    }

    @Test
    void spreadsVolumesOverTheOtherNodes() throws Exception {
        Node a = new Node("a", "10.0.0.1:7001");
        new Node("b", "10.0.0.2:7001");
        new Node("c", "10.0.0.3:7001");
        new Node("d", "10.0.0.4:7001");
        Map<String, Integer> per = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            String v = "vol-" + i;
            a.leases.acquire(v);
            per.merge(a.placement.place(v), 1, Integer::sum);
        }
        assertEquals(3, per.size(), "every other node gets volumes, the owner none: " + per);
        per.values().forEach(n -> assertTrue(n >= 60 && n <= 140, "uneven spread " + per));
    }

    @Test
    void aNodeAloneUsesItsOwnFocServerAndOneWithoutAnyRefusesToPlace() throws Exception {
        Node a = new Node("a", "10.0.0.1:7001");
        a.leases.acquire("vol");
        assertEquals("10.0.0.1:7001", a.placement.place("vol"), "its own, until another node has one");
        Node none = new Node("z", null);
        none.leases.acquire("other");
        Node b = new Node("b", null);
        a.client.close(); // node a leaves: its session ends
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(5), () -> !b.membership.live().containsKey("a")));
        FocUnavailableException e = assertThrows(FocUnavailableException.class, () -> none.placement.place("other"));
        assertTrue(e.getMessage().contains("advertises a FOC server"), e.getMessage());
    }

    @Test
    void movesTheFocWhenItsNodeLeavesWhenItStaysDegradedAndOffTheOwner() throws Exception {
        Node a = new Node("a", "10.0.0.1:7001");
        Node b = new Node("b", "10.0.0.2:7001");
        Links links = new Links();
        links.placement = a.placement;
        a.placement.start(links, events, Duration.ofHours(1)); // checked by hand below
        a.leases.acquire("vol");
        links.servers.put("vol", "10.0.0.1:7001"); // on the owner: b has a FOC server, so it moves there
        a.placement.check();
        assertEquals(List.of("vol->10.0.0.2:7001"), links.moves);
        assertEquals("10.0.0.2:7001", a.placement.previous("vol"));

        Node c = new Node("c", "10.0.0.3:7001");
        a.placement.check();
        assertEquals(1, links.moves.size(), "nothing moves while the FOC node lives and answers");

        links.degraded.put("vol", true);
        a.placement.check();
        assertEquals(1, links.moves.size(), "a short DEGRADED is waited out");
        Thread.sleep(400);
        a.placement.check();
        assertEquals("vol->10.0.0.3:7001", links.moves.get(1), "DEGRADED longer than the grace: to the third node");

        c.client.close(); // the FOC node leaves the cluster: its session ends
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(5), () -> !a.membership.live().containsKey("c")));
        a.placement.check();
        assertEquals("vol->10.0.0.2:7001", links.moves.get(2), "its node left: to a live node");
        assertNotNull(b);
    }
}
