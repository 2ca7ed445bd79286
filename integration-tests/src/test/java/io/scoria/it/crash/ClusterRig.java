package io.scoria.it.crash;

import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What every cluster test runs on: a real ZooKeeper server in the test JVM (Curator's
 * {@link TestingServer}, tick 500 ms so that the nodes' 4 s sessions are allowed; {@link #zk} can be
 * stopped and restarted on the same port and data), one s3proxy backend without conditional puts
 * (ZooKeeper fences), one FOC server in sync mode, and three {@code scoria serve} nodes a, b, c of
 * which b advertises the FOC address. Closing kills and stops everything.
 *
 * <p>Everything runs on loopback unless a {@link Network} says otherwise: then ZooKeeper (which listens
 * on every address), s3proxy and the FOC server are reached at {@link Network#serviceHost}, and node a
 * listens on {@link Network#aHost} and is started behind {@link Network#aLauncher} (a network namespace).
 */
final class ClusterRig implements AutoCloseable {
    final TestingServer zk;
    final S3ProxyServer s3;
    final ManagedProcess foc;
    final String focAddress;
    final ClusterNodes cluster;
    final ClusterNodes.Node a;
    final ClusterNodes.Node b;
    final ClusterNodes.Node c;

    /**
     * Where the rig's servers listen and how node a is started.
     *
     * @param serviceHost where ZooKeeper, s3proxy and the FOC server are reached (an address of this machine)
     * @param aHost       the address node a listens on and advertises
     * @param aLauncher   the command prefix node a is started behind (empty: none)
     */
    record Network(String serviceHost, String aHost, List<String> aLauncher) {
        static final Network LOOPBACK = new Network("127.0.0.1", "127.0.0.1", List.of());
    }

    private ClusterRig(TestingServer zk, S3ProxyServer s3, ManagedProcess foc, String focAddress, ClusterNodes cluster,
                       Network network) {
        this.zk = zk;
        this.s3 = s3;
        this.foc = foc;
        this.focAddress = focAddress;
        this.cluster = cluster;
        this.a = cluster.add("a", null, network.aHost(), network.aLauncher());
        this.b = cluster.add("b", focAddress);
        this.c = cluster.add("c", null);
    }

    /** Starts ZooKeeper, s3proxy (bucket {@code bucket}), the FOC server and the three nodes (4 s sessions), in {@code dir}. */
    static ClusterRig start(Path dir, String bucket) throws Exception {
        return start(dir, bucket, "4s");
    }

    /** As above, the nodes with ZooKeeper sessions of {@code sessionTimeout} (1-10 s). */
    static ClusterRig start(Path dir, String bucket, String sessionTimeout) throws Exception {
        return start(dir, bucket, sessionTimeout, Network.LOOPBACK);
    }

    /** As above, on {@code network}. */
    static ClusterRig start(Path dir, String bucket, String sessionTimeout, Network network) throws Exception {
        return start(dir, bucket, sessionTimeout, network, "2s");
    }

    /** As above, the nodes' FOC clients with {@code foc.requestTimeout} set to {@code focRequestTimeout}. */
    static ClusterRig start(Path dir, String bucket, String sessionTimeout, Network network, String focRequestTimeout)
            throws Exception {
        String host = network.serviceHost();
        TestingServer zk = null;
        S3ProxyServer s3 = null;
        ManagedProcess foc = null;
        try {
            zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1), true);
            s3 = S3ProxyServer.start(bucket, false, host);
            String backend = "{type: s3, s3: {endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY
                    + ", secretKey: " + S3ProxyServer.SECRET_KEY + "}}"; // no conditional puts: ZooKeeper fences
            Rig secrets = new Rig(dir);
            int port = ManagedProcess.freePort();
            foc = ManagedProcess.start("foc-server", List.of(secrets.repo.resolve("scoria").toString(), "foc-server",
                    "--listen", host + ":" + port, "--dir", dir.resolve("foc-server").toString(), "--secret-file",
                    secrets.focSecret().toString()), dir, dir.resolve("foc-server.log"));
            foc.awaitReady(Duration.ofSeconds(60), () -> ManagedProcess.listening(host, port));
            String focAddress = host + ":" + port;
            String focYaml = "{address: " + focAddress + ", mode: sync, connectTimeout: 500ms, requestTimeout: " + focRequestTimeout + ", secretFile: "
                    + secrets.focSecret() + "}";
            ClusterRig rig = new ClusterRig(zk, s3, foc, focAddress, new ClusterNodes(dir, host + ":" + zk.getPort(), backend,
                    focYaml), network);
            rig.cluster.sessionTimeout = sessionTimeout;
            for (ClusterNodes.Node n : rig.cluster.nodes.values()) {
                rig.cluster.start(n);
            }
            return rig;
        } catch (Exception | Error e) {
            if (foc != null) {
                foc.kill9();
            }
            if (s3 != null) {
                s3.close();
            }
            if (zk != null) {
                zk.close();
            }
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            cluster.close();
            foc.kill9();
            s3.close();
        } finally {
            zk.close();
        }
    }
}
