package io.scoria.it.crash;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Three {@code scoria serve} nodes in one cluster (a real ZooKeeper server in the test JVM, one
 * s3proxy backend, one FOC server in sync mode that node {@code b} advertises): 4 KiB random writes
 * with 16 in flight, every acknowledged write logged, then {@code kill -9} of the volume's owner after
 * a random number (200-1,000) of acknowledged writes. Another node must take the volume over (new epoch; the FOC node first) and serve
 * it within {@link #SERVING_BOUND_MS}, and every acknowledged write must read back there. The killed
 * node restarts and rejoins as a follower; the next round kills the new owner.
 * {@code -Dscoria.cluster.rounds} rounds (3 by default). A non-owner answers NBD with the owner's
 * address (checked with {@code nbdinfo}). Prints the measured fail-over times.
 */
class ClusterFailoverIT {
    static final String VOLUME = "clustervol";
    static final int BLOCKS = 4096;
    /** Session timeout 4 s + detection + open with FOC replay, on a loaded machine. */
    static final long SERVING_BOUND_MS = 30_000;

    @TempDir
    Path dir;
    private TestingServer zk;
    private S3ProxyServer s3;
    private ManagedProcess foc;
    private ClusterNodes cluster;
    private final ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() throws Exception {
        killer.shutdownNow();
        if (cluster != null) {
            cluster.close();
        }
        if (foc != null) {
            foc.kill9();
        }
        if (s3 != null) {
            s3.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    private String startFocServer() throws IOException {
        Rig secrets = new Rig(dir);
        int port = ManagedProcess.freePort();
        foc = ManagedProcess.start("foc-server", List.of(secrets.repo.resolve("scoria").toString(), "foc-server", "--listen",
                "127.0.0.1:" + port, "--dir", dir.resolve("foc-server").toString(), "--secret-file",
                secrets.focSecret().toString()), dir, dir.resolve("foc-server.log"));
        foc.awaitReady(java.time.Duration.ofSeconds(60), () -> ManagedProcess.listening(port));
        return "{address: 127.0.0.1:" + port + ", mode: sync, connectTimeout: 500ms, requestTimeout: 2s, secretFile: "
                + secrets.focSecret() + "}";
    }

    @Test
    void killNineOfTheOwnerMovesTheVolumeAndLosesNoAcknowledgedWrite() throws Exception {
        // tick 500 ms: ZooKeeper grants sessions of 1-10 s; the nodes ask for 4 s
        zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1), true);
        s3 = S3ProxyServer.start("cluster");
        String backend = "{type: s3, s3: {endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY
                + ", secretKey: " + S3ProxyServer.SECRET_KEY + "}}"; // no conditional puts: ZooKeeper fences
        String focYaml = startFocServer();
        String focAddress = focYaml.substring("{address: ".length(), focYaml.indexOf(','));
        cluster = new ClusterNodes(dir, zk.getConnectString(), backend, focYaml);
        ClusterNodes.Node a = cluster.add("a", null);
        ClusterNodes.Node b = cluster.add("b", focAddress);
        ClusterNodes.Node c = cluster.add("c", null);
        for (ClusterNodes.Node n : cluster.nodes.values()) {
            cluster.start(n);
        }
        cluster.createVolume(a, VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        ClusterNodes.Node owner = a;
        try (NbdLoad first = new NbdLoad(a.nbdPort, VOLUME)) {
            assertEquals(0, first.verify(log, new StringBuilder()));
        }
        assertEquals("a", cluster.owner(c, VOLUME));
        JsonNode vol = cluster.status(c).get("volumes").get(0);
        assertEquals(1, vol.get("epoch").asLong());
        assertEquals("b", vol.get("focNode").asText(), "b advertises the FOC address a's volume uses");
        String refusal = nbdinfo(c);
        assertTrue(refusal.contains("owned by node a") && refusal.contains("127.0.0.1:" + a.nbdPort), refusal);

        List<Long> failoverMs = new ArrayList<>();
        long total = 0;
        int rounds = Integer.getInteger("scoria.cluster.rounds", 3);
        for (int round = 1; round <= rounds; round++) {
            ClusterNodes.Node victim = owner;
            long[] killedAt = new long[1];
            long acked;
            try (NbdLoad nbd = new NbdLoad(victim.nbdPort, VOLUME)) {
                // kill once at least 200-1,000 more writes were acknowledged (a count, not a time: the machine may be loaded)
                long killAfter = log.ackedWrites + 200 + rnd.nextInt(800);
                var kill = killer.submit(() -> {
                    while (log.ackedWrites < killAfter) {
                        Thread.sleep(5);
                    }
                    victim.process.kill9();
                    killedAt[0] = System.nanoTime();
                    return null;
                });
                acked = nbd.randomWrites(log, 16, rnd.nextLong(), () -> false);
                kill.get(10, TimeUnit.SECONDS); // the load ends when the connection drops: at the kill
                assertEquals(0, nbd.errorReplies, "round " + round + ": writes failed before the kill");
            }
            assertTrue(acked >= 200, "round " + round + ": only " + acked + " writes acknowledged before the kill");
            total += acked;
            owner = awaitNewOwner(victim, round);
            long servingMs = connectAndVerify(owner, log, killedAt[0], round);
            failoverMs.add(servingMs);
            System.out.printf("ClusterFailoverIT round %d: owner %s killed after %d acknowledged writes; node %s serves "
                    + "the volume %d ms after the kill, every acknowledged write read back%n", round, victim.id, acked,
                    owner.id, servingMs);
            assertTrue(servingMs <= SERVING_BOUND_MS, "round " + round + ": served again only after " + servingMs + " ms");
            cluster.start(victim); // rejoins as a follower
            assertEquals(owner.id, cluster.owner(victim, VOLUME), "the restarted node must not take the volume back");
        }
        System.out.printf("ClusterFailoverIT: %d rounds, %d acknowledged writes, 0 lost; fail-over (kill -9 to serving) "
                + "ms: %s%n", rounds, total, failoverMs);
    }

    /** Waits until a live node other than {@code victim} owns the volume; returns it. */
    private ClusterNodes.Node awaitNewOwner(ClusterNodes.Node victim, int round) throws Exception {
        long deadline = System.nanoTime() + SERVING_BOUND_MS * 1_000_000L;
        while (System.nanoTime() < deadline) {
            for (ClusterNodes.Node n : cluster.nodes.values()) {
                if (n != victim && n.alive()) {
                    try {
                        String o = cluster.owner(n, VOLUME);
                        if (o != null && !o.equals(victim.id)) {
                            return cluster.nodes.get(o);
                        }
                    } catch (Exception busy) {
                        // the node's API is busy or restarting: ask the next
                    }
                }
            }
            Thread.sleep(100);
        }
        fail("round " + round + ": no node took the volume over from " + victim.id + " within " + SERVING_BOUND_MS + " ms");
        return null;
    }

    /** Connects to the new owner (retrying while it opens the volume), verifies every block; ms from the kill to serving. */
    private long connectAndVerify(ClusterNodes.Node owner, AckLog log, long killedAt, int round) throws Exception {
        long deadline = System.nanoTime() + SERVING_BOUND_MS * 1_000_000L;
        while (true) {
            try (NbdLoad nbd = new NbdLoad(owner.nbdPort, VOLUME)) {
                long servingMs = (System.nanoTime() - killedAt) / 1_000_000;
                StringBuilder errors = new StringBuilder();
                long bad = nbd.verify(log, errors);
                assertEquals(0, bad, "round " + round + ": acknowledged writes lost on node " + owner.id + ": " + errors
                        + "\n" + owner.process.logTail(40));
                return servingMs;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("round " + round + ": node " + owner.id + " owns the volume but does not serve it: "
                            + notYet + "\n" + owner.process.logTail(40), notYet);
                }
                Thread.sleep(100);
            }
        }
    }

    /** What {@code nbdinfo} (with libnbd's debug output) prints for the volume on a node that does not own it. */
    private String nbdinfo(ClusterNodes.Node n) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("nbdinfo", "nbd://127.0.0.1:" + n.nbdPort + "/" + VOLUME).redirectErrorStream(true);
        pb.environment().put("LIBNBD_DEBUG", "1"); // libnbd prints the server's error message only in its debug output
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, p.exitValue(), "nbdinfo on a non-owner must fail: " + out);
        return out;
    }
}
