package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.client.FailoverCaches;
import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FOC server and client together on loopback: round trip, fencing, restarts, re-send, removal, bad frames. */
class FocServerClientTest {
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

    static void awaitState(FocClient c, FocState s) throws InterruptedException {
        awaitState(c::state, s);
    }

    /** Waits (bounded, 20 s) until {@code state} reports {@code s}. */
    static void awaitState(java.util.function.Supplier<FocState> state, FocState s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (state.get() != s) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("state " + state.get() + ", expected " + s);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void oneAddWithEntriesOfSeveralScoTagsStoresThemAll() throws Exception {
        try (RawPeer p = new RawPeer(port)) {
            assertEquals(FocProtocol.WELCOME, p.hello(null, false).op());
            p.send(FocProtocol.REGISTER, 1, RawPeer.register(OwnerEpochs.CLAIM, CS, VOL));
            assertEquals(FocProtocol.OK, p.read().op());
            long[] tags = {5, 5, 6};
            ByteBuffer add = ByteBuffer.allocate(4 + tags.length * FocProtocol.entryBytes(CS)).putInt(tags.length);
            for (int i = 0; i < tags.length; i++) {
                add.putLong(i).putLong(tags[i]).putInt(i).putInt(1).put(data(i, 0));
            }
            p.send(FocProtocol.ADD_ENTRIES, 2, add.array());
            RawPeer.Frame reply = p.read();
            assertEquals(FocProtocol.OK, reply.op(), () -> "reply " + FocProtocol.opcodeName(reply.op()));
        }
        Map<Long, byte[]> m = replay(client(2));
        assertEquals(3, m.size());
        assertArrayEquals(data(2, 0).array(), m.get(2L));
    }

    @Test
    void addFlushReplayRoundTrip() throws Exception {
        FocClient c = client(1);
        assertEquals(FocState.OK, c.state());
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            long seq = c.append(i, i / 1024, i % 1024, 1, data(i, 0));
            if (i % 100 == 99) {
                acks.add(c.ackedAsync(seq, exec));
            }
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        c.flush();
        assertEquals(3000, c.ackedSeq());
        Map<Long, byte[]> m = replay(c);
        assertEquals(3000, m.size());
        for (long lba = 0; lba < 3000; lba++) {
            assertArrayEquals(data(lba, 0).array(), m.get(lba), "lba " + lba);
        }
    }

    @Test
    void concurrentWritesShareRoundTrips() throws Exception {
        FocClient c = new FocClient(config(1).withBatching(256, 1, 1 << 26));
        toClose.add(c);
        int writers = 4;
        int perWriter = 500;
        List<CompletableFuture<Void>> last = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int base = w * perWriter;
            CompletableFuture<Void> done = new CompletableFuture<>();
            last.add(done);
            Thread t = new Thread(() -> {
                try {
                    List<CompletableFuture<Void>> acks = new ArrayList<>();
                    for (int i = 0; i < perWriter; i++) {
                        acks.add(c.addAsync(base + i, 1, base + i, 1, data(base + i, 0), exec));
                    }
                    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                    done.complete(null);
                } catch (Exception e) {
                    done.completeExceptionally(e);
                }
            });
            threads.add(t);
            t.start();
        }
        CompletableFuture.allOf(last.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long entries = (long) writers * perWriter;
        assertEquals(entries, c.ackedSeq());
        System.out.printf("FOC batching: %d entries in %d ADD frames (one frame in flight at a time)%n", entries,
                c.addFramesSent());
        assertTrue(c.addFramesSent() * 2 <= entries, "with one frame in flight, waiting writes share frames: "
                + c.addFramesSent() + " frames for " + entries + " entries");
        assertEquals(entries, replay(c).size());
    }

    @Test
    void laterWriteOfTheSameLbaWinsOnReplay() throws Exception {
        FocClient c = client(1);
        long seq = 0;
        for (int gen = 0; gen < 3; gen++) {
            for (int lba = 0; lba < 50; lba++) {
                seq = c.append(lba, gen, lba, 1, data(lba, gen));
            }
        }
        c.ackedAsync(seq, exec).get(10, TimeUnit.SECONDS);
        Map<Long, byte[]> m = replay(c);
        for (long lba = 0; lba < 50; lba++) {
            assertArrayEquals(data(lba, 2).array(), m.get(lba));
        }
    }

    @Test
    void newOwnerFencesTheOldOne() throws Exception {
        FocClient old = client(1);
        old.ackedAsync(old.append(1, 1, 0, 1, data(1, 0)), exec).get(10, TimeUnit.SECONDS);
        FocClient owner = client(2);
        assertEquals(FocState.OK, owner.state());
        long seq = old.append(2, 1, 1, 1, data(2, 0));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> old.ackedAsync(seq, exec).get(10, TimeUnit.SECONDS));
        if (!(e.getCause() instanceof FocFencedException)) {
            throw new AssertionError("expected fencing, got " + e.getCause());
        }
        awaitState(old, FocState.FENCED);
        assertThrows(FocFencedException.class, () -> old.append(3, 1, 2, 1, data(3, 0)));
        FocFencedException stale = assertThrows(FocFencedException.class, () -> new FocClient(config(1)));
        assertEquals(2, stale.currentEpoch());
        Map<Long, byte[]> m = replay(owner);
        assertEquals(List.of(1L), new ArrayList<>(m.keySet()), "the fenced add never reached the FOC");
    }

    @Test
    void fencingSurvivesServerRestart() {
        client(5).flush();
        server.close();
        server = new FocServer(new InetSocketAddress("127.0.0.1", port), dir.resolve("foc"));
        assertThrows(FocFencedException.class, () -> new FocClient(config(4)));
    }

    @Test
    void serverRestartKeepsEntriesAndTruncatesTornTail() throws Exception {
        FocClient c = client(1);
        long seq = 0;
        for (int i = 0; i < 500; i++) {
            seq = c.append(i, 3, i, 1, data(i, 0));
        }
        c.ackedAsync(seq, exec).get(10, TimeUnit.SECONDS);
        c.close();
        server.close();
        Path sco = dir.resolve("foc").resolve(VOL).resolve(String.format("sco-%016x.foc", 3));
        try (RandomAccessFile raf = new RandomAccessFile(sco.toFile(), "rw")) {
            raf.seek(raf.length());
            raf.write(new byte[1234]); // a torn append
        }
        server = new FocServer(new InetSocketAddress("127.0.0.1", port), dir.resolve("foc"));
        Map<Long, byte[]> m = replay(client(1));
        assertEquals(500, m.size());
        assertArrayEquals(data(499, 0).array(), m.get(499L));
    }

    @Test
    void clientGoesDegradedFailsFastAndResendsAfterServerReturnsEmpty() throws Exception {
        FocClient c = client(1);
        FocClientConfig other = new FocClientConfig("127.0.0.1", port, "vol-2", CS, 1, Duration.ofMillis(500),
                Duration.ofSeconds(2), Duration.ofMillis(20), Duration.ofMillis(200), 64, 4, 1 << 24, null);
        FailoverCache sync = FailoverCaches.create(FocMode.SYNC, other);
        toClose.add(sync);
        for (int i = 0; i < 100; i++) {
            c.append(i, 1, i, 1, data(i, 0));
        }
        c.flush();
        server.close();
        awaitState(c, FocState.DEGRADED);
        // fail fast: not connected
        long seq = c.append(100, 1, 100, 1, data(100, 0));
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.ackedAsync(seq, exec).get(5, TimeUnit.SECONDS));
        assertInstanceOf(FocUnavailableException.class, e.getCause());
        assertThrows(FocUnavailableException.class, c::flush);
        // the sync cache acknowledges while degraded
        awaitState(sync::state, FocState.DEGRADED);
        sync.addAsync(7, 1, 0, 1, data(7, 9), exec).get(5, TimeUnit.SECONDS);
        sync.flush();
        for (int i = 101; i < 200; i++) {
            c.append(i, 2, i, 1, data(i, 1));
        }
        // the FOC node comes back with an empty disk: everything kept must be re-sent
        deleteTree(dir.resolve("foc"));
        server = new FocServer(new InetSocketAddress("127.0.0.1", port), dir.resolve("foc"));
        awaitState(c, FocState.OK);
        c.flush();
        Map<Long, byte[]> m = replay(c);
        assertEquals(200, m.size());
        for (long lba = 0; lba < 200; lba++) {
            assertArrayEquals(data(lba, lba < 101 ? 0 : 1).array(), m.get(lba), "lba " + lba);
        }
        awaitState(sync::state, FocState.OK);
        List<Long> syncLbas = new ArrayList<>();
        sync.replay((lba, sco, off, ver, cl) -> {
            syncLbas.add(lba);
            byte[] b = new byte[CS];
            cl.get(b);
            assertArrayEquals(data(7, 9).array(), b);
        });
        assertEquals(List.of(7L), syncLbas, "the write acknowledged while DEGRADED reached the FOC after reconnection");
    }

    @Test
    void removeUpToBoundsDiskUse() throws Exception {
        FocClient c = client(1);
        Path vol = dir.resolve("foc").resolve(VOL);
        int perSco = 256; // 1 MiB of 4 KiB clusters per SCO
        long seq = 0;
        for (int sco = 1; sco <= 10; sco++) {
            for (int i = 0; i < perSco; i++) {
                seq = c.append((long) sco * perSco + i, sco, i, 1, data(i, sco));
            }
        }
        c.ackedAsync(seq, exec).get(20, TimeUnit.SECONDS);
        c.flush();
        long before = scoBytes(vol);
        long record = 4 + 24 + CS + 4;
        assertEquals(10 * (24 + perSco * record), before);
        assertTrue(c.retainedBytes() >= 10L * perSco * CS);
        c.removeUpTo(8);
        long after = scoBytes(vol);
        // two live SCOs, plus the files of the eight removed SCOs, kept as spares for reuse (up to 16)
        int spares = 8;
        assertEquals((2 + spares) * (24 + perSco * record), after);
        try (Stream<Path> s = Files.list(vol)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("sco-0000000000000009.foc", "sco-000000000000000a.foc"),
                    names.stream().filter(n -> n.startsWith("sco-")).toList());
            assertEquals(spares, names.stream().filter(n -> n.startsWith("spare-sco-")).count());
            assertEquals(2 + spares + 1, names.size(), "and volume.meta: " + names);
        }
        // the next SCO reuses a spare instead of creating a file
        c.ackedAsync(c.append(11L * perSco, 11, 0, 1, data(0, 11)), exec).get(20, TimeUnit.SECONDS);
        try (Stream<Path> s = Files.list(vol)) {
            assertEquals(spares - 1, s.filter(p -> p.getFileName().toString().startsWith("spare-")).count());
        }
        assertTrue(Files.exists(vol.resolve("sco-000000000000000b.foc")));
        assertEquals((2L * perSco + 1) * (24 + CS), c.retainedBytes(), "the client forgets removed entries too");
        System.out.printf("FOC disk use: 10 SCOs x %d clusters = %d bytes; after removeUpTo(8): %d bytes%n",
                perSco, before, after);
        assertEquals(2 * perSco + 1, replay(c).size(), "a reused file replays only its own SCO's entry");
        assertThrows(IllegalArgumentException.class, () -> c.append(1, 8, 0, 1, data(1, 0)));
    }

    @Test
    void malformedFramesCloseOnlyThatConnection() throws Exception {
        FocClient good = client(1);
        good.ackedAsync(good.append(1, 1, 0, 1, data(1, 0)), exec).get(10, TimeUnit.SECONDS);
        // 1. an absurd length
        assertClosedByServer(new byte[]{0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3});
        // 2. a frame whose CRC is wrong
        ByteBuffer f = ByteBuffer.allocate(4 + 9 + 4);
        f.putInt(13).put((byte) 3).putLong(1).putInt(0xdeadbeef);
        assertClosedByServer(f.array());
        // 3. a valid FLUSH frame before REGISTER
        ByteBuffer flush = ByteBuffer.allocate(4 + 9 + 4);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(new byte[]{3, 0, 0, 0, 0, 0, 0, 0, 1});
        flush.putInt(13).put((byte) 3).putLong(1).putInt((int) crc.getValue());
        assertClosedByServer(flush.array());
        // the good connection is untouched
        good.ackedAsync(good.append(2, 1, 1, 1, data(2, 0)), exec).get(10, TimeUnit.SECONDS);
        good.flush();
        assertEquals(FocState.OK, good.state());
        assertEquals(2, replay(good).size());
    }

    private void assertClosedByServer(byte[] bytes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            assertEquals(-1, in.read(), "server closes the connection");
        }
    }

    @Test
    void asyncAndNoneModes() throws Exception {
        FailoverCache none = FailoverCaches.create(FocMode.NONE, null);
        assertTrue(none.addAsync(1, 1, 0, 1, data(1, 0), exec).isDone());
        assertEquals(0, none.replay((a, b, c, d, e) -> { }));
        FailoverCache async = FailoverCaches.create(FocMode.ASYNC, config(1));
        toClose.add(async);
        assertEquals(FocMode.ASYNC, async.mode());
        for (int i = 0; i < 1000; i++) {
            CompletableFuture<Void> f = async.addAsync(i, 1, i, 1, data(i, 0), exec);
            assertTrue(f.isDone(), "async mode acknowledges at once");
        }
        async.flush(); // FLUSH follows every batch on the connection
        Map<Long, byte[]> m = new LinkedHashMap<>();
        async.replay((lba, sco, off, ver, cl) -> {
            byte[] b = new byte[CS];
            cl.get(b);
            m.put(lba, b);
        });
        assertEquals(1000, m.size());
        assertArrayEquals(data(999, 0).array(), m.get(999L));
    }

    @Test
    void configRejectsBadArgumentsByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FocClientConfig.of("127.0.0.1:1", "../etc", CS, 1));
        assertTrue(e.getMessage().startsWith("volumeId"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocClientConfig.of("127.0.0.1:1", "v", 3000, 1));
        assertTrue(e.getMessage().startsWith("clusterSize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocClientConfig.of("nohost", "v", CS, 1));
        assertTrue(e.getMessage().startsWith("hostPort"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocClientConfig.of("127.0.0.1:1", "v", 65536, 1)
                .withBatching(4096, 4, 1L << 40));
        assertTrue(e.getMessage().startsWith("maxBatchEntries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocMode.parse("fast"));
        assertTrue(e.getMessage().startsWith("foc mode"), e.getMessage());
        FocClient c = client(1);
        e = assertThrows(IllegalArgumentException.class, () -> c.append(1, 1, 0, 1, ByteBuffer.allocate(100)));
        assertTrue(e.getMessage().startsWith("cluster"), e.getMessage());
    }

    @Test
    void unregisterDeletesEntriesButKeepsFencing() throws Exception {
        FocClient c = client(3);
        c.ackedAsync(c.append(1, 1, 0, 1, data(1, 0)), exec).get(10, TimeUnit.SECONDS);
        c.unregister();
        Path vol = dir.resolve("foc").resolve(VOL);
        assertEquals(0, scoBytes(vol));
        assertEquals(0, c.retainedBytes());
        assertEquals(0, replay(c).size());
        assertThrows(FocFencedException.class, () -> new FocClient(config(2)));
    }

    @Test
    void otherClusterSizeIsRefusedWithAReason() {
        client(1).flush();
        FocClientConfig eightK = new FocClientConfig("127.0.0.1", port, VOL, 8192, 1, Duration.ofMillis(500),
                Duration.ofSeconds(2), Duration.ofMillis(20), Duration.ofMillis(200), 16, 4, 1 << 24, null);
        FocException e = assertThrows(FocException.class, () -> new FocClient(eightK));
        assertTrue(e.getMessage().contains("cluster size 4096"), e.getMessage());
    }

    @Test
    void runServesUntilInterrupted() throws Exception {
        int p;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            p = probe.getLocalPort();
        }
        int runPort = p;
        Thread t = new Thread(() -> {
            try {
                FocServer.run("127.0.0.1:" + runPort, dir.resolve("run"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        FocClientConfig cfg = FocClientConfig.of("127.0.0.1:" + runPort, "r", CS, 1)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMillis(20), Duration.ofMillis(200));
        try (FocClient c = new FocClient(cfg)) {
            awaitState(c, FocState.OK);
            t.interrupt();
            t.join(10_000);
            assertTrue(!t.isAlive(), "run returns after an interrupt");
            awaitState(c, FocState.DEGRADED);
        }
        assertThrows(IllegalArgumentException.class, () -> FocServer.run("no-port", dir));
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void silentServerNeverBlocksTheClient() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread sink = new Thread(() -> {
                try (Socket s = silent.accept()) {
                    s.getInputStream().transferTo(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // the client closed the connection
                }
            });
            sink.setDaemon(true);
            sink.start();
            FocClientConfig cfg = FocClientConfig.of("127.0.0.1:" + silent.getLocalPort(), VOL, CS, 1)
                    .withTimeouts(Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofMillis(20), Duration.ofMillis(100));
            try (FocClient c = new FocClient(cfg)) {
                assertEquals(FocState.DEGRADED, c.state(), "REGISTER never answered");
                long seq = c.append(1, 1, 0, 1, data(1, 0));
                ExecutionException e = assertThrows(ExecutionException.class, () -> c.ackedAsync(seq, exec).get());
                assertInstanceOf(FocUnavailableException.class, e.getCause());
                assertThrows(FocUnavailableException.class, c::flush);
                assertThrows(FocUnavailableException.class, () -> c.replay((a, b, x, y, z) -> { }));
                c.removeUpTo(5); // remembered for the reconnection, returns at once
            }
        }
    }

    @Test
    void corruptFileOnTheServerIsReportedNotServed() throws Exception {
        FocClient c = client(1);
        long seq = 0;
        for (int i = 0; i < 5; i++) {
            seq = c.append(i, 2, i, 1, data(i, 0));
        }
        c.ackedAsync(seq, exec).get(10, TimeUnit.SECONDS);
        c.flush(); // flushed records: a bad one among them is corruption, not a torn tail
        c.close();
        server.close();
        Path sco = dir.resolve("foc").resolve(VOL).resolve(String.format("sco-%016x.foc", 2));
        try (RandomAccessFile raf = new RandomAccessFile(sco.toFile(), "rw")) {
            raf.seek(24 + (4 + 24 + CS + 4) + 100); // inside record 1 of 5
            raf.write(0x77);
        }
        long size = Files.size(sco);
        server = new FocServer(new InetSocketAddress("127.0.0.1", port), dir.resolve("foc"));
        FocException e = assertThrows(FocException.class, () -> new FocClient(config(2)));
        assertTrue(e.getMessage().contains(sco.getFileName().toString()) && e.getMessage().contains("corruption"),
                e.getMessage());
        assertEquals(size, Files.size(sco), "a corrupt file is left for inspection, not truncated");
    }

    static long scoBytes(Path vol) throws IOException {
        try (Stream<Path> s = Files.list(vol)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".foc")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
