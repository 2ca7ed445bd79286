package io.scoria.it.crash;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each volume's fail-over cache placed on another node (no {@code foc.address}: every node runs its own
 * {@code scoria foc-server} and advertises it; FOC traffic over mutual TLS with a test CA), against real processes: a ZooKeeper server in the test
 * JVM, one s3proxy, three {@code scoria serve} nodes a, b, c. Per round, during 4 KiB random writes (16 in
 * flight, every acknowledged write logged): the volume's FOC node dies (kill -9 of its router and its FOC
 * server); the owner must move the FOC to the third node (the cluster status says so) and go on
 * acknowledging; then the owner itself is killed -9. The third node (now the FOC node) takes the volume
 * over, and every acknowledged write must read back there: writes acknowledged while the FOC moved were
 * held until the new FOC node had them. The killed nodes come back as followers. {@code
 * -Dscoria.cluster.focRounds} rounds (2 by default). A second test kills the FOC node and, before the FOC can
 * move, the owner too: the owner must have acknowledged nothing in between, and once the dead FOC node's
 * FOC server is back (its files survived) the third node serves every acknowledged write.
 */
class ClusterFocPlacementIT {
    static final String VOLUME = "placed";
    static final int BLOCKS = 4096;
    static final long BOUND_MS = 40_000;

    @TempDir
    Path dir;
    private TestingServer zk;
    private S3ProxyServer s3;
    private ClusterNodes cluster;
    private final Map<String, ManagedProcess> focServers = new HashMap<>();
    private final Map<String, Integer> focPorts = new HashMap<>();
    private Path secret;
    private Path pki;
    private final ExecutorService killer = Executors.newSingleThreadExecutor();

    @AfterEach
    void tearDown() throws Exception {
        killer.shutdownNow();
        if (cluster != null) {
            cluster.close();
        }
        focServers.values().forEach(ManagedProcess::kill9);
        if (s3 != null) {
            s3.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    void theFocFollowsItsNodeAwayAndTheNextOwnerReplaysItLosingNoAcknowledgedWrite() throws Exception {
        startCluster();
        ClusterNodes.Node owner = cluster.nodes.get("a");
        cluster.createVolume(owner, VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        try (NbdLoad first = new NbdLoad(owner.nbdPort, VOLUME)) {
            assertEquals(0, first.verify(log, new StringBuilder()));
        }
        int rounds = Integer.getInteger("scoria.cluster.focRounds", 2);
        for (int round = 1; round <= rounds; round++) {
            String what = "round " + round;
            String focNode = awaitFocOffOwner(owner, what);
            ClusterNodes.Node lost = cluster.nodes.get(focNode);
            ClusterNodes.Node victim = owner;
            ClusterNodes.Node third = cluster.nodes.values().stream().filter(n -> n != lost && n != victim).findFirst()
                    .orElseThrow();
            long[] moveMs = new long[1];
            long acked;
            try (NbdLoad nbd = new NbdLoad(victim.nbdPort, VOLUME)) {
                long killFocAfter = log.ackedWrites + 200 + rnd.nextInt(400);
                Future<Void> kills = killer.submit(() -> {
                    while (log.ackedWrites < killFocAfter) {
                        Thread.sleep(5);
                    }
                    long t0 = System.nanoTime();
                    killNode(lost);
                    while (!third.id.equals(focNodeOf(victim))) {
                        if (System.nanoTime() - t0 > BOUND_MS * 1_000_000L) {
                            throw new AssertionError(what + ": the FOC did not move from " + lost.id + " to " + third.id
                                    + " within " + BOUND_MS + " ms: " + cluster.status(victim) + "\n"
                                    + victim.process.logTail(40));
                        }
                        Thread.sleep(100);
                    }
                    moveMs[0] = (System.nanoTime() - t0) / 1_000_000;
                    long after = log.ackedWrites + 300;
                    while (log.ackedWrites < after) {
                        if (System.nanoTime() - t0 > 2 * BOUND_MS * 1_000_000L) {
                            throw new AssertionError(what + ": writes are not acknowledged after the FOC moved");
                        }
                        Thread.sleep(5);
                    }
                    victim.process.kill9();
                    return null;
                });
                acked = nbd.randomWrites(log, 16, rnd.nextLong(), () -> false);
                kills.get(3 * BOUND_MS, TimeUnit.MILLISECONDS);
                assertEquals(0, nbd.errorReplies, what + ": writes failed before the owner was killed");
            }
            long killedAt = System.nanoTime();
            owner = cluster.awaitOwnerOtherThan(victim, VOLUME, BOUND_MS, what);
            assertEquals(third.id, owner.id, what + ": the live FOC node should take the volume over");
            long servingMs = cluster.connectAndVerify(owner, VOLUME, log, killedAt, BOUND_MS, what);
            System.out.printf("ClusterFocPlacementIT %s: FOC node %s killed, FOC moved to %s in %d ms; owner %s killed after "
                    + "%d acknowledged writes; %s serves the volume %d ms later, every acknowledged write read back%n",
                    what, lost.id, third.id, moveMs[0], victim.id, acked, owner.id, servingMs);
            startNode(lost);
            startNode(victim);
            assertEquals(owner.id, cluster.owner(victim, VOLUME), what + ": a restarted node must not take the volume back");
        }
    }

    @Test
    void whenTheFocNodeDiesTheOwnerAcknowledgesNothingUntilTheFocIsBackAndLosesNothingIfItDiesToo() throws Exception {
        startCluster();
        ClusterNodes.Node owner = cluster.nodes.get("a");
        cluster.createVolume(owner, VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        try (NbdLoad first = new NbdLoad(owner.nbdPort, VOLUME)) { // the first open places the FOC
            assertEquals(0, first.verify(log, new StringBuilder()));
        }
        String focNode = awaitFocOffOwner(owner, "start");
        ClusterNodes.Node lost = cluster.nodes.get(focNode);
        ClusterNodes.Node third = cluster.nodes.values().stream().filter(n -> n != lost && n != owner).findFirst()
                .orElseThrow();
        long[] ackedWhileDegraded = new long[1];
        try (NbdLoad nbd = new NbdLoad(owner.nbdPort, VOLUME)) {
            long killFocAfter = 300 + rnd.nextInt(400);
            Future<Void> kills = killer.submit(() -> {
                while (log.ackedWrites < killFocAfter) {
                    Thread.sleep(5);
                }
                killNode(lost);
                Thread.sleep(300); // what was in flight at the FOC node is answered or failed by now
                long before = log.ackedWrites;
                Thread.sleep(1500); // well inside the session timeout: the FOC is not moved yet
                ackedWhileDegraded[0] = log.ackedWrites - before;
                owner.process.kill9();
                return null;
            });
            nbd.randomWrites(log, 16, rnd.nextLong(), () -> false);
            kills.get(BOUND_MS, TimeUnit.MILLISECONDS);
        }
        assertEquals(0, ackedWhileDegraded[0], "writes acknowledged while the FOC node was dead: only the owner held them");
        long killedAt = System.nanoTime();
        startFocServer(lost); // its entries on disk hold every acknowledged write the backend may lack
        ClusterNodes.Node next = cluster.awaitOwnerOtherThan(owner, VOLUME, BOUND_MS, "both dead");
        assertEquals(third.id, next.id, "the only live node takes the volume");
        long servingMs = cluster.connectAndVerify(next, VOLUME, log, killedAt, BOUND_MS, "both dead");
        System.out.printf("ClusterFocPlacementIT: FOC node %s then owner %s killed -9 (%d acknowledged writes, none while the "
                + "FOC was down); %s serves the volume %d ms later from the backend and %s's FOC, every acknowledged write "
                + "read back%n", lost.id, owner.id, log.ackedWrites, next.id, servingMs, lost.id);
    }

    private void startCluster() throws Exception {
        zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1), true);
        s3 = S3ProxyServer.start("focplaced", false);
        secret = new Rig(dir).focSecret();
        String backend = "{type: s3, s3: {endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY
                + ", secretKey: " + S3ProxyServer.SECRET_KEY + "}}";
        pki = dir.resolve("pki");
        java.nio.file.Files.createDirectories(pki);
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=scoria-cluster-ca", "-keyout", "ca.key", "-out", "ca.pem");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=node",
                "-keyout", "node.key", "-out", "node.csr");
        openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", "node.pem");
        // FOC traffic over mutual TLS (every node presents a certificate of the cluster CA) and HMAC
        cluster = new ClusterNodes(dir, "127.0.0.1:" + zk.getPort(), backend,
                "{mode: sync, connectTimeout: 500ms, requestTimeout: 3s, secretFile: " + secret + ", tlsCertificate: "
                        + pki.resolve("node.pem") + ", tlsKey: " + pki.resolve("node.key") + ", tlsCa: "
                        + pki.resolve("ca.pem") + "}");
        for (String id : List.of("a", "b", "c")) {
            focPorts.put(id, ManagedProcess.freePort());
            cluster.add(id, "127.0.0.1:" + focPorts.get(id));
        }
        for (ClusterNodes.Node n : cluster.nodes.values()) {
            startNode(n);
        }
    }

    /**
     * Waits until the volume's FOC is on another node than its owner (after a take-over by the FOC node, the new
     * owner holds its own FOC until another node with a FOC server is back, then moves it there); returns it.
     */
    private String awaitFocOffOwner(ClusterNodes.Node owner, String what) throws Exception {
        long deadline = System.nanoTime() + BOUND_MS * 1_000_000L;
        while (true) {
            String focNode = focNodeOf(owner);
            if (focNode != null && !focNode.equals(owner.id)) {
                return focNode;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": the volume's FOC is not on another node than its owner " + owner.id
                        + " within " + BOUND_MS + " ms: " + cluster.status(owner));
            }
            Thread.sleep(100);
        }
    }

    /** The node the cluster status names as the volume's FOC node, asked of {@code n}. */
    private String focNodeOf(ClusterNodes.Node n) throws Exception {
        JsonNode v = ClusterNodes.volume(cluster.status(n), VOLUME);
        return v.get("focNode").isNull() ? null : v.get("focNode").asText();
    }

    private void startNode(ClusterNodes.Node n) throws Exception {
        startFocServer(n);
        cluster.start(n);
    }

    private void startFocServer(ClusterNodes.Node n) throws Exception {
        int port = focPorts.get(n.id);
        ManagedProcess foc = ManagedProcess.start("foc-" + n.id, List.of(cluster.repo().resolve("scoria").toString(),
                "foc-server", "--listen", "127.0.0.1:" + port, "--dir", dir.resolve("foc-" + n.id).toString(),
                "--secret-file", secret.toString(), "--tls-cert", pki.resolve("node.pem").toString(), "--tls-key",
                pki.resolve("node.key").toString(), "--tls-ca", pki.resolve("ca.pem").toString()), dir,
                dir.resolve("foc-" + n.id + ".log"));
        foc.awaitReady(Duration.ofSeconds(60), () -> ManagedProcess.listening(port));
        focServers.put(n.id, foc);
    }

    private void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(pki.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + String.join(" ", args) + ": " + out);
    }

    /** The node dies: its router and its FOC server, kill -9. */
    private void killNode(ClusterNodes.Node n) {
        n.process.kill9();
        focServers.get(n.id).kill9();
    }
}
