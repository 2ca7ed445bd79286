package io.scoria.it.nbd;

import io.scoria.it.harness.ManagedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 19's hostile clients against a real {@code scoria serve} process: one client sends 2,000
 * READs of 32 MiB and never reads a reply, another sends 256 WRITE headers of 32 MiB and no data.
 * Meanwhile {@code qemu-img bench} (a well-behaved client) writes 4 KiB blocks at queue depth 16.
 * Rounds alternate without and with the hostile clients; the server's resident set may grow by at
 * most {@link #RSS_BOUND} while they are connected, and the bench keeps at least 0.8x its rate (the
 * best round of each kind, so that a noisy neighbour on a shared machine does not decide it).
 *
 * <p>The bound: with the default limits each hostile connection holds at most one 32 MiB request
 * (NbdLimits: 16 MiB per connection, or one maximal request alone), so two hold 64 MiB of request
 * data; the rest is allocator and page-cache slack of the JVM.
 */
class NbdHostileClientsIT {
    static final long RSS_BOUND = 128L << 20;
    static final int MAX = 32 << 20;
    static final int ROUNDS = 5;
    static final int BENCH_WRITES = 30_000;

    @TempDir
    Path dir;

    @Test
    void hostileClientsTakeBoundedMemoryAndAWellBehavedClientKeepsItsRate() throws Exception {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        int nbdPort = ManagedProcess.freePort();
        int apiPort = ManagedProcess.freePort();
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\n"
                + "nbd: {port: " + nbdPort + "}\n" + "iscsi: {port: 0}\n"
                + "api: {port: " + apiPort + "}\n"
                + "backend: {type: fs, fs: {root: " + dir.resolve("backend") + "}}\n"
                + "cache: {clusterCache: 64MiB, scoCache: 512MiB}\n");
        try (ManagedProcess router = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(),
                "serve", "--config", cfg.toString()), dir, dir.resolve("serve.log"))) {
            router.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                    && ManagedProcess.listening(nbdPort));
            createVolume(apiPort, dir.resolve("data"), "vm1", "1GiB");
            String url = "nbd://127.0.0.1:" + nbdPort + "/vm1";
            bench(url); // warm-up: JIT, first SCOs
            List<Double> calm = new ArrayList<>();
            List<Double> hostile = new ArrayList<>();
            long rssCalm = 0;
            long rssHostile = 0;
            for (int round = 0; round < ROUNDS; round++) {
                calm.add(bench(url));
                rssCalm = Math.max(rssCalm, rss(router.pid()));
                try (Socket reader = neverReadsReplies(nbdPort); Socket writer = headersWithoutData(nbdPort)) {
                    Thread.sleep(500); // let the server take what it will
                    hostile.add(bench(url));
                    rssHostile = Math.max(rssHostile, rss(router.pid()));
                    assertTrue(reader.isConnected() && writer.isConnected());
                }
            }
            double calmRate = best(calm);
            double hostileRate = best(hostile);
            System.out.printf("NbdHostileClientsIT: bench %.0f writes/s alone, %.0f with hostile clients (%.2fx); "
                            + "RSS %d MiB alone, %d MiB with them (bound +%d MiB)%n", calmRate, hostileRate,
                    hostileRate / calmRate, rssCalm >> 20, rssHostile >> 20, RSS_BOUND >> 20);
            assertTrue(rssHostile - rssCalm <= RSS_BOUND, "RSS grew by " + ((rssHostile - rssCalm) >> 20) + " MiB");
            assertTrue(hostileRate >= 0.8 * calmRate, "rate with hostile clients " + hostileRate + " vs " + calmRate);
            assertTrue(router.isAlive(), router.logTail(30));
        }
    }

    /** Writes per second of {@code qemu-img bench}: 4 KiB writes, queue depth 16. */
    private static double bench(String url) throws Exception {
        long start = System.nanoTime();
        Command.run(300, "qemu-img", "bench", "-f", "raw", "-w", "-q", "-c", String.valueOf(BENCH_WRITES), "-d", "16",
                "-s", "4096", url).ok();
        return BENCH_WRITES / ((System.nanoTime() - start) / 1e9);
    }

    private static Socket neverReadsReplies(int port) throws IOException {
        Socket s = attach(port);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        for (int i = 0; i < 2000; i++) {
            request(out, 0, i, MAX);
        }
        out.flush();
        return s;
    }

    private static Socket headersWithoutData(int port) throws IOException {
        Socket s = attach(port);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        for (int i = 0; i < 256; i++) {
            request(out, 1, i, MAX);
        }
        out.flush();
        return s;
    }

    private static void request(DataOutputStream out, int type, long cookie, int length) throws IOException {
        out.writeInt(0x25609513);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(0);
        out.writeInt(length);
    }

    /** A connection in transmission on export {@code vm1} whose receive buffer is small. */
    private static Socket attach(int port) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port));
        InputStream in = s.getInputStream();
        in.readNBytes(18);
        OutputStream out = s.getOutputStream();
        byte[] name = "vm1".getBytes(StandardCharsets.UTF_8);
        ByteBuffer go = ByteBuffer.allocate(4 + 16 + 4 + name.length + 2);
        go.putInt(3).putLong(0x49484156454F5054L).putInt(7).putInt(4 + name.length + 2).putInt(name.length).put(name)
                .putShort((short) 0);
        out.write(go.array());
        out.flush();
        while (true) { // option replies until the ACK
            ByteBuffer header = ByteBuffer.wrap(in.readNBytes(20));
            in.readNBytes(header.getInt(16));
            int type = header.getInt(12);
            if (type == 1) {
                return s;
            }
            if (type < 0) {
                throw new IOException("GO refused: " + type);
            }
        }
    }

    private static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) << 10;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    private static double best(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    /** Creates a volume over the REST API, with the admin token if the router wrote one. */
    static void createVolume(int apiPort, Path dataDir, String name, String size) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/volumes"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"size\":\"" + size + "\"}"));
        Path token = dataDir.resolve("admin.token");
        if (Files.exists(token)) {
            b.header("Authorization", "Bearer " + Files.readString(token).trim());
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
    }
}
