package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.client.FailoverCaches;
import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.Test;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FOC server and client together on loopback when something goes wrong: a new owner fencing the old
 * one (also across a server restart), server restarts with a torn tail or a corrupt file, a server
 * gone (the client degrades, fails fast and re-sends what it kept once the server is back) or silent,
 * malformed frames, bad configuration and another cluster size. Entries kept and given back:
 * {@link FocServerClientTest}.
 */
class FocServerClientFaultTest extends FocLoopbackFixture {
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

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
