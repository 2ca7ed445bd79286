package io.scoria.accelerator.cluster;

import io.scoria.accelerator.NumberReservation;
import io.scoria.accelerator.StaleEpochException;
import io.scoria.accelerator.VolumeFencedException;
import io.scoria.accelerator.VolumeOwnedElsewhereException;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Leases} against a real ZooKeeper server: grants with increasing epochs, one owner at a
 * time, the publish compare-and-set that refuses a stale epoch, and what a suspended or lost
 * session does to a lease.
 */
class LeasesTest {
    private ZooKeeperFixture zk;
    private final List<CuratorFramework> clients = new CopyOnWriteArrayList<>();
    private final ExecutorService events = Executors.newSingleThreadExecutor();
    private final List<Lease> lost = new CopyOnWriteArrayList<>();
    private final List<String> reclaimed = new CopyOnWriteArrayList<>();

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

    private Leases leases(String node) throws InterruptedException {
        CuratorFramework c = zk.client();
        clients.add(c);
        Leases l = new Leases(c, new Znodes("/scoria"), node, "127.0.0.1:10900", events, lost::add, reclaimed::add);
        c.getConnectionStateListenable().addListener((client, state) -> l.stateChanged(state));
        return l;
    }

    @Test
    void grantsIncreasingEpochsToOneOwnerAtATime() throws Exception {
        Leases a = leases("node-a");
        Leases b = leases("node-b");
        Lease first = a.acquire("vol");
        assertEquals(1, first.epoch());
        assertNull(first.previousOwner());
        VolumeOwnedElsewhereException owned = assertThrows(VolumeOwnedElsewhereException.class, () -> b.acquire("vol"));
        assertEquals("node-a", owned.owner());
        assertTrue(owned.getMessage().contains("node-a") && owned.getMessage().contains("epoch 1"), owned.getMessage());
        assertThrows(ClusterException.class, () -> a.acquire("vol"), "a node cannot take a lease it holds");

        a.release(first);
        assertEquals(0, a.epoch("vol"));
        Lease second = b.acquire("vol");
        assertEquals(2, second.epoch());
        assertEquals("node-a", second.previousOwner());
        assertEquals(2, b.epoch("vol"));
    }

    @Test
    void aStaleEpochCanNeverPublishAndANewEpochNeverReusesAGeneration() throws Exception {
        Leases a = leases("node-a");
        Leases b = leases("node-b");
        Lease old = a.acquire("vol");
        assertEquals(5, a.reservePublish("vol", 1, 5));
        assertEquals(5, a.reservePublish("vol", 1, 5), "a retried publish of one epoch keeps its generation");
        assertEquals(6, a.reservePublish("vol", 1, 6));

        // node-a's session "expires" without node-a noticing (a zombie): its owner znode goes, node-b is granted epoch 2
        CuratorFramework admin = zk.client();
        clients.add(admin);
        admin.delete().forPath("/scoria/volumes/vol/owner");
        Lease taken = b.acquire("vol");
        assertEquals(2, taken.epoch());
        assertEquals(Lease.State.LIVE, old.state(), "the zombie still believes it owns the volume");

        StaleEpochException stale = assertThrows(StaleEpochException.class, () -> a.reservePublish("vol", 1, 7));
        assertEquals(1, stale.epoch());
        assertEquals(2, stale.currentEpoch());
        assertEquals(7, b.reservePublish("vol", 2, 6), "epoch 2 publishes after every generation epoch 1 reserved");
        assertEquals(Lease.State.LOST, old.state(), "a refused publish tells the zombie it lost the lease");
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(5), () -> lost.contains(old)));
        assertEquals(0, a.epoch("vol"), "its queued uploads are dropped");
        assertThrows(VolumeFencedException.class, () -> a.reservePublish("vol", 1, 100), "refused again, whatever the generation");
        assertThrows(StaleEpochException.class, () -> b.reservePublish("vol", 1, 8), "an epoch that is not the lease's");
    }

    @Test
    void aNewEpochNamesNoObjectAnEarlierEpochMayHaveNamed() throws Exception {
        Leases a = leases("node-a");
        Leases b = leases("node-b");
        a.acquire("vol");
        NumberReservation r1 = a.reserveNumbers("vol", 1, 7, 3);
        assertEquals(new NumberReservation(1, 7, 7 + NumberRanges.SCO_BLOCK, 3, 3 + NumberRanges.TLOG_BLOCK), r1);
        NumberReservation again = a.reserveNumbers("vol", 1, 7 + NumberRanges.SCO_BLOCK, 4);
        assertEquals(7 + NumberRanges.SCO_BLOCK, again.firstSco(), "the same epoch goes on from where it is");
        assertEquals(7 + 2 * NumberRanges.SCO_BLOCK, again.scoLimit());
        assertEquals(4, again.firstTlog());
        assertTrue(again.tlogLimit() >= r1.tlogLimit(), "a limit never goes down");

        // node-a turns zombie (its owner znode goes without it noticing) while it may still be putting SCO 1,000
        CuratorFramework admin = zk.client();
        clients.add(admin);
        admin.delete().forPath("/scoria/volumes/vol/owner");
        b.acquire("vol");
        NumberReservation r2 = b.reserveNumbers("vol", 2, 12, 5); // what node-b found on the backend
        assertEquals(again.scoLimit(), r2.firstSco(), "epoch 2 starts above every SCO number epoch 1 reserved");
        assertEquals(again.tlogLimit(), r2.firstTlog(), "and above every TLog number");
        assertFalse(r2.holdsSco(again.scoLimit() - 1));

        assertThrows(VolumeFencedException.class, () -> a.reserveNumbers("vol", 1, 7 + 2 * NumberRanges.SCO_BLOCK, 4),
                "the zombie reserves nothing more");
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(5), () -> a.epoch("vol") == 0), "and learns its lease is over");
        assertThrows(StaleEpochException.class, () -> b.reserveNumbers("vol", 1, 1, 1), "an epoch that is not the lease's");
        Znodes.Numbers stored = Znodes.decode(admin.getData().forPath("/scoria/volumes/vol/numbers"), Znodes.Numbers.class, "n");
        assertEquals(new Znodes.Numbers(2, r2.scoLimit(), r2.tlogLimit()), stored);
    }

    @Test
    void aSuspendedSessionFencesTheLeaseUntilItReconnects() throws Exception {
        Leases a = leases("node-a");
        Lease lease = a.acquire("vol");
        a.check("vol", 1);
        zk.server.stop();
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(5), () -> lease.state() == Lease.State.SUSPENDED));
        VolumeFencedException fenced = assertThrows(VolumeFencedException.class, () -> a.check("vol", 1));
        assertTrue(fenced.getMessage().contains("cannot reach ZooKeeper"), fenced.getMessage());
        assertThrows(VolumeFencedException.class, () -> a.reservePublish("vol", 1, 2));
        zk.server.restart(); // within the session timeout: the session and its owner znode survive
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(10), () -> lease.state() == Lease.State.LIVE),
                "lease state " + lease.state());
        a.check("vol", 1);
        assertEquals(2, a.reservePublish("vol", 1, 2));
        assertTrue(lost.isEmpty());
    }

    @Test
    void aLostSessionLosesTheLeaseAndAnotherNodeIsGrantedTheVolume() throws Exception {
        Leases a = leases("node-a");
        Lease lease = a.acquire("vol");
        zk.server.stop();
        // Curator declares the session lost once the session timeout has passed without ZooKeeper
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(15), () -> lease.state() == Lease.State.LOST),
                "lease state " + lease.state());
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(5), () -> lost.contains(lease)), "onLost was not called");
        assertEquals(0, a.epoch("vol"));
        assertThrows(VolumeFencedException.class, () -> a.reservePublish("vol", 1, 2));
        zk.server.restart();

        Leases b = leases("node-b");
        // node-a's old session expires on the restarted server after its timeout; then node-b is granted epoch 2
        Lease granted = awaitGrant(b, "vol");
        assertEquals(2, granted.epoch());
        assertEquals("node-a", granted.previousOwner());
        assertThrows(VolumeFencedException.class, () -> a.check("vol", 1));
    }

    @Test
    void aLeaseLostWithItsSessionIsTakenBackInTheNextSessionUnlessAnotherNodeWasGrantedIt() throws Exception {
        Leases a = leases("node-a");
        Leases b = leases("node-b");
        Lease one = a.acquire("one");
        Lease two = a.acquire("two");
        zk.server.stop();
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(15), () -> one.state() == Lease.State.LOST
                && two.state() == Lease.State.LOST), "leases " + one + ", " + two);
        zk.server.restart(); // the old session lives on in the server for its timeout; node-a has a new one
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(15), () -> reclaimed.containsAll(List.of("one", "two"))),
                "reclaimed " + reclaimed);
        assertTrue(b.handover("one") == null);
        VolumeOwnedElsewhereException stillOld = assertThrows(VolumeOwnedElsewhereException.class, () -> b.acquire("one"),
                "the lost session's owner znode is still there: node-b must wait");
        assertEquals("node-a", stillOld.owner());
        Lease back = a.acquire("one"); // replaces the owner znode of its own lost session at once
        assertEquals(2, back.epoch());
        assertEquals("node-a", back.previousOwner());
        a.check("one", 2);
        assertThrows(StaleEpochException.class, () -> a.check("one", 1));

        // "two": node-b is granted it once node-a's old session expired; node-a can then not take it back
        assertEquals(2, awaitGrant(b, "two").epoch());
        assertEquals("node-b", assertThrows(VolumeOwnedElsewhereException.class, () -> a.acquire("two")).owner());
    }

    /** Waits (20 s at most) until {@code leases} is granted {@code volume}, which another session still holds. */
    private static Lease awaitGrant(Leases leases, String volume) throws InterruptedException {
        Lease[] granted = new Lease[1];
        assertTrue(ZooKeeperFixture.await(Duration.ofSeconds(20), () -> {
            try {
                granted[0] = leases.acquire(volume);
                return true;
            } catch (VolumeOwnedElsewhereException stillOwned) {
                return false;
            }
        }), volume + " was not granted within 20 s");
        return granted[0];
    }
}
