package io.scoria.it.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A network partition of a volume's owner, on three real {@code scoria serve} nodes ({@link ClusterRig},
 * session timeout T = 4 s). Node a runs in its own Linux network namespace ({@link NetworkNamespace}: a
 * veth pair with private addresses; ZooKeeper, s3proxy and the FOC server listen on the root side's
 * address, node a listens on and advertises its side's address, nodes b and c stay on loopback). The
 * test's NBD client writes 4 KiB random blocks with 16 in flight to node a over the veth pair, every
 * acknowledged write logged ({@link AckLog}). Then iptables rules inside the namespace cut node a off
 * from ZooKeeper and from everything else except the client's connections to its NBD and API listeners,
 * the backend and the FOC server: a control-plane partition in which the old owner could still write to
 * the shared storage, so that only fencing keeps it from doing harm. Checked:
 * <ul>
 * <li>node a stops acknowledging: its last acknowledgement comes less than T after the cut and before
 *     the new epoch's grant (the {@code epoch} znode's modification time, on the clock of the in-JVM
 *     ZooKeeper server, which is the test's); the writes it held are failed (NBD errors) and it closes the
 *     client's connection;</li>
 * <li>another node takes the volume at epoch 2, and every write node a acknowledged reads back there;</li>
 * <li>no write node a acknowledged after the new epoch began exists (the same timing check; and the new
 *     owner's data after the heal is exactly what the client was acknowledged);</li>
 * <li>while cut off and after the heal node a sends no PUT, POST or DELETE to the backend once the new
 *     owner holds the volume (counted by iptables in the namespace), reserves no manifest generation
 *     (the {@code published} znode), and rejoins as a follower: registered again, owning nothing,
 *     refusing the volume's NBD export, the owner and epoch unchanged.</li>
 * </ul>
 * A second test cuts the FOC server too ({@link #anOwnerCutFromItsFocTooLosesNoAcknowledgedWrite}): a
 * DEGRADED sync FOC acknowledges writes that exist only on the owner's flash, and if that happened before
 * the ZooKeeper session is suspended those writes would be lost by the fail-over (see
 * accelerator/ARCHITECTURE.md, "Not done yet"). Needs root ({@code ip netns},
 * {@code iptables}); the namespace and veth pair are removed in {@link #removeNamespace} whatever happened.
 */
class ClusterPartitionIT {
    static final String VOLUME = "partvol";
    static final int BLOCKS = 4096;
    /** The nodes' session timeout (ClusterRig's default "4s"). */
    static final long SESSION_MS = 4_000;
    static final long BOUND_MS = 60_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static NetworkNamespace ns;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // the nodes' logs stay for a failed run
    Path dir;
    private ClusterRig rig;
    private CuratorFramework zk;
    private final ExecutorService writers = Executors.newCachedThreadPool();
    private final Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
    /** {@link System#currentTimeMillis()} minus {@link System#nanoTime()} in ms: turns a client's nano time into the server's clock. */
    private final long wallOffsetMs = System.currentTimeMillis() - System.nanoTime() / 1_000_000;

    @BeforeAll
    static void namespace() throws Exception {
        ns = NetworkNamespace.create();
    }

    @AfterAll
    static void removeNamespace() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        writers.shutdownNow();
        if (zk != null) {
            zk.close();
        }
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void partitionedOwnerStopsAcknowledgingIsReplacedAndRejoinsAsAFollower() throws Exception {
        partition(false, "2s");
    }

    /**
     * The same partition, with the FOC server cut off too, and the FOC request timeout (3.5 s) above the two
     * thirds of the session timeout (2.7 s) after which ZooKeeper suspends node a and holds its
     * acknowledgements, as the router's default for a cluster node is (three quarters of the session
     * timeout): node a's writes wait for the FOC, then for the lease, and none that it acknowledged is lost.
     * (With a 2 s request timeout this also passed here, twice: the FOC client drops a connection whose
     * acknowledgement is overdue after twice the request timeout, past the suspension; one manual run
     * with other cut rules lost acknowledged writes, see ARCHITECTURE.md.)
     */
    @Test
    void anOwnerCutFromItsFocTooLosesNoAcknowledgedWrite() throws Exception {
        partition(true, "3500ms");
    }

    private void partition(boolean cutFoc, String focRequestTimeout) throws Exception {
        rig = ClusterRig.start(dir, "partition", SESSION_MS / 1000 + "s",
                new ClusterRig.Network(ns.rootAddress, ns.innerAddress, ns.launcher()), focRequestTimeout);
        ClusterNodes cluster = rig.cluster;
        ClusterNodes.Node a = rig.a;
        int s3Port = rig.s3.port();
        int focPort = Integer.parseInt(rig.focAddress.substring(rig.focAddress.lastIndexOf(':') + 1));
        ns.countRequests(s3Port, "PUT", "POST", "DELETE");
        zk = CuratorFrameworkFactory.newClient(rig.zk.getConnectString(), new RetryOneTime(200));
        zk.start();
        assertTrue(zk.blockUntilConnected(30, TimeUnit.SECONDS), "the test's ZooKeeper client did not connect");

        cluster.createVolume(a, VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        NbdLoad old = new NbdLoad(a.host, a.nbdPort, VOLUME); // over the veth pair, like a hypervisor on another host
        long seed = rnd.nextLong();
        Future<Long> oldLoad = writers.submit(() -> old.randomWrites(log, 16, seed, () -> false));
        log.awaitAcked(500, "before the partition");
        JsonNode before = ClusterNodes.volume(cluster.status(rig.c), VOLUME);
        assertEquals("a", before.get("owner").asText());
        assertEquals(1, before.get("epoch").asLong());

        long cut = System.nanoTime();
        ns.cut(List.of(a.nbdPort, a.apiPort), cutFoc ? List.of(s3Port) : List.of(s3Port, focPort));
        long ackedAtCut = log.ackedWrites;

        // node a suspends (acknowledgements held), loses its session (held ones failed) and closes the connection
        try {
            oldLoad.get(BOUND_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            fail("node a still serves the client's connection " + BOUND_MS + " ms after the cut: " + old.state() + "\n"
                    + a.process.logTail(40));
        }
        old.close();
        long lastAckOnOld = old.lastAckNanos;
        long stoppedMs = (lastAckOnOld - cut) / 1_000_000;
        assertTrue(old.errorReplies > 0, "node a failed none of the writes it held: " + old.state());

        ClusterNodes.Node owner = cluster.awaitOwnerOtherThan(a, VOLUME, BOUND_MS, "partition");
        Stat grant = new Stat();
        JsonNode epoch = JSON.readTree(zk.getData().storingStatIn(grant).forPath(znode("epoch")));
        assertEquals(2, epoch.get("epoch").asLong(), "one new epoch: " + epoch);
        assertEquals(owner.id, epoch.get("node").asText());
        long grantAfterCutMs = grant.getMtime() - (wallOffsetMs + cut / 1_000_000);
        long marginMs = grant.getMtime() - (wallOffsetMs + lastAckOnOld / 1_000_000);
        assertTrue(stoppedMs < SESSION_MS, "node a acknowledged a write " + stoppedMs + " ms after the cut: not within the "
                + "session timeout " + SESSION_MS + " ms\n" + a.process.logTail(40));
        assertTrue(marginMs > 0, "node a acknowledged a write " + -marginMs + " ms after epoch 2 was granted to node "
                + owner.id + "\n" + a.process.logTail(40));
        long sentAtTakeover = ns.requests(s3Port);
        Published publishedAtTakeover = published();

        // every write node a acknowledged reads back on the new owner; the client goes on writing there
        long servingMs = cluster.connectAndVerify(owner, VOLUME, log, cut, BOUND_MS, "after the partition");
        assertFalse(cluster.registered(rig.c, a), "node a is still a member while cut off");
        AtomicBoolean stop = new AtomicBoolean();
        NbdLoad fresh = new NbdLoad(owner.host, owner.nbdPort, VOLUME);
        Future<Long> freshLoad = writers.submit(() -> fresh.randomWrites(log, 16, rnd.nextLong(), stop::get));
        log.awaitAcked(log.ackedWrites + 300, "on the new owner");

        // the partition heals: node a rejoins as a follower, publishes nothing, takes nothing back
        long heal = System.nanoTime();
        ns.heal();
        awaitTrue(() -> cluster.registered(rig.c, a), "node a registered again after the heal", a);
        long rejoinMs = (System.nanoTime() - heal) / 1_000_000;
        awaitTrue(() -> owner.id.equals(ownerSeenBy(cluster, a)), "node a sees node " + owner.id + " as the owner", a);
        assertThrows(IOException.class, () -> new NbdLoad(a.host, a.nbdPort, VOLUME).close(),
                "node a must not serve the volume after the heal");
        log.awaitAcked(log.ackedWrites + 300, "on the new owner after the heal");
        Thread.sleep(SESSION_MS); // time for a wrong take-back, publish or upload of node a to show
        stop.set(true);
        freshLoad.get(60, TimeUnit.SECONDS);
        fresh.close();
        assertEquals(0, fresh.errorReplies, "the new owner failed writes after the heal");
        cluster.connectAndVerify(owner, VOLUME, log, heal, BOUND_MS, "after the heal");

        for (ClusterNodes.Node n : List.of(a, rig.c)) {
            JsonNode v = ClusterNodes.volume(cluster.status(n), VOLUME);
            assertEquals(owner.id, v.get("owner").asText(), "owner as node " + n.id + " sees it");
            assertEquals(2, v.get("epoch").asLong(), "epoch as node " + n.id + " sees it");
        }
        for (JsonNode v : cluster.status(a).get("volumes")) {
            assertNotEquals("a", v.get("owner").asText(), "node a owns a volume after the heal: " + v);
        }
        Stat end = new Stat();
        zk.getData().storingStatIn(end).forPath(znode("epoch"));
        assertEquals(grant.getVersion(), end.getVersion(), "the epoch znode changed after the grant to node " + owner.id);
        long sentAfterTakeover = ns.requests(s3Port) - sentAtTakeover;
        assertEquals(0, sentAfterTakeover, "node a sent PUT/POST/DELETE requests to the backend after node " + owner.id
                + " held the volume\n" + a.process.logTail(40));
        Published publishedAtEnd = published();
        assertTrue(publishedAtEnd == null || publishedAtEnd.epoch() == 2
                        || (publishedAtTakeover != null && publishedAtEnd.version() == publishedAtTakeover.version()),
                "a manifest generation was reserved under epoch 1 after epoch 2 was granted: " + publishedAtEnd);
        System.out.printf("ClusterPartitionIT (FOC cut too: " + cutFoc + "): node a cut off after %d acknowledged writes; its last acknowledgement %d ms "
                        + "after the cut, %d ms before epoch 2 was granted to node %s (%d ms after the cut); %d held writes "
                        + "failed; node %s served every acknowledged write %d ms after the cut; node a rejoined %d ms after "
                        + "the heal as a follower; backend writes by node a: %d before the take-over, 0 after; %d acknowledged "
                        + "writes in all, 0 lost%n", ackedAtCut, stoppedMs, marginMs, owner.id, grantAfterCutMs,
                old.errorReplies, owner.id, servingMs, rejoinMs, sentAtTakeover, log.ackedWrites);
    }

    /** The {@code published} znode: the last generation reserved, by which epoch, and the znode's version; null if none yet. */
    private record Published(long epoch, long generation, int version) {
    }

    private Published published() throws Exception {
        Stat s = new Stat();
        try {
            JsonNode p = JSON.readTree(zk.getData().storingStatIn(s).forPath(znode("published")));
            return new Published(p.get("epoch").asLong(), p.get("generation").asLong(), s.getVersion());
        } catch (KeeperException.NoNodeException none) {
            return null;
        }
    }

    private static String znode(String leaf) {
        return "/scoria/volumes/" + VOLUME + "/" + leaf;
    }

    private static String ownerSeenBy(ClusterNodes cluster, ClusterNodes.Node n) {
        try {
            return cluster.owner(n, VOLUME);
        } catch (Exception notYet) {
            return null;
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what, ClusterNodes.Node n) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND_MS * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what + ": not within " + BOUND_MS + " ms\n" + n.process.logTail(40));
            }
            Thread.sleep(100);
        }
    }


}
