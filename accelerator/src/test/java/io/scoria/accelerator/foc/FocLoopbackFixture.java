package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the FOC server-and-client tests share: a real {@link FocServer} on a loopback port chosen by
 * the system, started before each test in a temporary directory and closed after it with every client
 * the test made ({@link #client}, or added to {@link #toClose}), short timeouts, cluster contents that
 * tell LBAs and generations apart, and a replay into a map. Each test runs on its own instance (JUnit's
 * default), on the test thread; {@link #exec} has two threads for acknowledgement futures.
 */
abstract class FocLoopbackFixture {
    static final int CS = 4096;
    static final String VOL = "vol-1";

    @TempDir
    Path dir;
    FocServer server;
    int port;
    final List<AutoCloseable> toClose = new ArrayList<>();
    final ExecutorService exec = Executors.newFixedThreadPool(2);

    @BeforeEach
    void start() {
        server = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("foc"));
        port = server.localAddress().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        server.close();
        exec.shutdownNow();
    }

    FocClientConfig config(long epoch) {
        return FocClientConfig.of("127.0.0.1:" + port, VOL, CS, epoch)
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(20), Duration.ofMillis(200));
    }

    FocClient client(long epoch) {
        FocClient c = new FocClient(config(epoch));
        toClose.add(c);
        return c;
    }

    static ByteBuffer data(long lba, int gen) {
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i += 8) {
            b.putLong(i, lba * 1_000_003L + gen * 7919L + i);
        }
        return b;
    }

    /** Replays through a new owner-epoch client view and returns lba -> (last) bytes, checking order within SCOs. */
    Map<Long, byte[]> replay(FocClient c) {
        Map<Long, byte[]> m = new LinkedHashMap<>();
        long[] lastSco = {-1};
        long n = c.replay((lba, sco, off, ver, cluster) -> {
            assertTrue(sco >= lastSco[0], "replay in SCO order");
            lastSco[0] = sco;
            byte[] b = new byte[CS];
            cluster.get(b);
            m.put(lba, b);
        });
        assertTrue(n >= m.size());
        return m;
    }
}
