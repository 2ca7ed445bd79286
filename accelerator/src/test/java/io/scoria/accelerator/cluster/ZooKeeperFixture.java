package io.scoria.accelerator.cluster;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * A real ZooKeeper server in the test JVM (Curator's {@link TestingServer}) with a 200 ms tick, so
 * that sessions of 2 s are allowed (ZooKeeper takes 2 to 20 ticks), and helpers to wait for a
 * condition. Closing stops the server and deletes its data.
 */
final class ZooKeeperFixture implements AutoCloseable {
    static final int SESSION_MS = 2000;
    /** The longest session the server grants (20 ticks). */
    static final int MAX_SESSION_MS = 4000;

    final TestingServer server;

    ZooKeeperFixture() throws Exception {
        server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 200, -1), true);
    }

    String connectString() {
        return server.getConnectString();
    }

    /** A started client with a {@link #SESSION_MS} session. */
    CuratorFramework client() throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connectString())
                .sessionTimeoutMs(SESSION_MS).connectionTimeoutMs(SESSION_MS).retryPolicy(new RetryOneTime(100)).build();
        c.start();
        if (!c.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("no ZooKeeper at " + connectString());
        }
        return c;
    }

    ClusterConfig config(String node, String foc) {
        return config(node, foc, SESSION_MS);
    }

    ClusterConfig config(String node, String foc, int sessionMs) {
        return new ClusterConfig(connectString(), node, "/scoria", sessionMs + "ms", "10s", "300ms",
                new ClusterConfig.Advertise(null, null, foc, null));
    }

    /** Waits up to {@code timeout} for {@code condition}; false if it never held. */
    static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
