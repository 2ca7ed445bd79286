package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.InMemoryVolume;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

class NbdServerTest {
    static final long SIZE = 64L << 20;
    InMemoryVolumeService service;
    NbdServer server;

    @BeforeEach
    void start() {
        service = new InMemoryVolumeService();
        service.create("vm1", VolumeSpec.ofSize(SIZE));
        server = new NbdServer(NbdServerConfig.loopback(0), service, new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        server.close();
        server.close(); // idempotent
        service.close();
    }

    NbdTestClient connect(String export, boolean structured) throws Exception {
        NbdTestClient c = new NbdTestClient("127.0.0.1", server.port());
        if (structured) {
            assertTrue(c.negotiateStructuredReplies());
        }
        assertEquals(REP_ACK, c.go(export));
        return c;
    }

    static byte[] pattern(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void goAdvertisesSizeFlagsAndBlockSizes() throws Exception {
        try (NbdTestClient c = connect("vm1", false)) {
            assertEquals(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, c.handshakeFlags);
            assertEquals(SIZE, c.exportSize);
            int f = c.transmissionFlags;
            assertEquals(TFLAG_HAS_FLAGS | TFLAG_SEND_FLUSH | TFLAG_SEND_FUA | TFLAG_SEND_TRIM
                    | TFLAG_SEND_WRITE_ZEROES | TFLAG_CAN_MULTI_CONN | TFLAG_SEND_CACHE | TFLAG_SEND_FAST_ZERO, f);
            assertEquals(1, c.blockMin);
            assertEquals(4096, c.blockPreferred);
            assertEquals(32 << 20, c.blockMax);
        }
    }

    @Test
    void writeThenReadIsByteExactSimpleAndStructured() throws Exception {
        for (boolean structured : new boolean[]{false, true}) {
            try (NbdTestClient c = connect("vm1", structured)) {
                byte[] data = pattern(70_001, structured ? 1 : 2);
                long off = 12_345 + (structured ? 1 << 20 : 0);
                assertEquals(0, c.write(off, data, 0));
                assertArrayEquals(data, c.read(off, data.length));
                byte[] fua = pattern(4096, 3);
                assertEquals(0, c.write(SIZE - 4096, fua, CMD_FLAG_FUA));
                assertArrayEquals(fua, c.read(SIZE - 4096, 4096));
                assertArrayEquals(new byte[4096], c.read(30L << 20, 4096), "unwritten reads as zeros");
            }
        }
    }

    @Test
    void aFullDiskIsReportedAsEnospcOtherIoFailuresAsEio() throws Exception {
        InMemoryVolume v = service.openInMemory("vm1");
        try (NbdTestClient c = connect("vm1", false)) {
            v.setWriteHook(off -> {
                throw new java.io.UncheckedIOException("cannot append to SCO",
                        new java.nio.file.FileSystemException("/flash/sco-1", null, "No space left on device"));
            });
            assertEquals(ENOSPC, c.write(0, new byte[4096], 0), "plain write");
            assertEquals(ENOSPC, c.write(4096, new byte[4096], CMD_FLAG_FUA), "FUA write");
            v.setWriteHook(off -> {
                throw new java.io.UncheckedIOException(new java.io.IOException("Input/output error"));
            });
            assertEquals(EIO, c.write(0, new byte[4096], 0));
            v.setWriteHook(off -> { });
            assertEquals(0, c.write(0, pattern(4096, 9), 0), "the connection stays usable");
            assertArrayEquals(pattern(4096, 9), c.read(0, 4096));
        }
    }

    @Test
    void trimWriteZeroesAndFlush() throws Exception {
        InMemoryVolume v = service.openInMemory("vm1");
        try (NbdTestClient c = connect("vm1", true)) {
            assertEquals(0, c.write(0, pattern(1 << 20, 4), 0));
            assertEquals(0, c.command(CMD_TRIM, 0, 0, 512 << 10));
            assertEquals(0, c.command(CMD_WRITE_ZEROES, CMD_FLAG_NO_HOLE | CMD_FLAG_FUA, 512 << 10, 256 << 10));
            byte[] back = c.read(0, 1 << 20);
            byte[] expect = pattern(1 << 20, 4);
            java.util.Arrays.fill(expect, 0, 768 << 10, (byte) 0);
            assertArrayEquals(expect, back);
            assertEquals(64, v.storedClusters(), "trimmed and zeroed clusters store nothing");
            long flushes = v.flushCount();
            assertEquals(0, c.command(CMD_FLUSH, 0, 0, 0));
            assertEquals(flushes + 1, v.flushCount());
            // FUA is valid on every command (proto.md: the server MUST accept it), e.g. old qemu's FLUSH
            assertEquals(0, c.command(CMD_FLUSH, CMD_FLAG_FUA, 0, 0));
            assertEquals(flushes + 2, v.flushCount());
            c.send(CMD_READ, CMD_FLAG_FUA, 5, 0, 4096, null);
            assertEquals(0, c.receive().error());
        }
    }

    @Test
    void badRequestsGetSpecErrorsAndTheConnectionSurvives() throws Exception {
        try (NbdTestClient c = connect("vm1", false)) {
            c.send(CMD_READ, 0, 9, SIZE - 100, 4096, null);
            NbdTestClient.Reply r = c.receive();
            assertEquals(EINVAL, r.error());
            assertEquals(9, r.cookie());
            assertEquals(ENOSPC, c.write(SIZE - 100, new byte[4096], 0));
            assertEquals(ENOSPC, c.command(CMD_TRIM, 0, SIZE, 4096));
            assertEquals(ENOSPC, c.command(CMD_WRITE_ZEROES, 0, -4096, 4096), "offset above 2^63");
            assertEquals(EINVAL, c.command(42, 0, 0, 4096), "unknown command");
            assertEquals(EINVAL, c.command(CMD_FLUSH, CMD_FLAG_NO_HOLE, 0, 0), "flag not valid for FLUSH");
            assertEquals(EINVAL, c.write(0, new byte[16], 1 << 9), "unknown flag");
            c.send(CMD_READ, 0, 10, 0, (32 << 20) + 1, null);
            assertEquals(EOVERFLOW, c.receive().error());
            // a write above the maximum: the payload is discarded and the stream stays in sync
            assertEquals(EINVAL, c.write(0, new byte[(32 << 20) + 4096], 0));
            byte[] ok = pattern(8192, 5);
            assertEquals(0, c.write(8192, ok, 0));
            assertArrayEquals(ok, c.read(8192, 8192));
        }
    }

    @Test
    void templatesAreExportedReadOnly() throws Exception {
        service.create("gold", VolumeSpec.ofSize(1 << 20));
        service.makeTemplate("gold");
        try (NbdTestClient c = connect("gold", true)) {
            assertEquals(TFLAG_READ_ONLY, c.transmissionFlags & TFLAG_READ_ONLY);
            assertEquals(0, c.transmissionFlags & TFLAG_SEND_TRIM);
            assertEquals(EPERM, c.write(0, new byte[4096], 0));
            assertEquals(EPERM, c.command(CMD_TRIM, 0, 0, 4096));
            assertArrayEquals(new byte[4096], c.read(0, 4096));
        }
    }

    @Test
    void optionsListInfoUnknownAndExportName() throws Exception {
        service.create("vm2", VolumeSpec.ofSize(1 << 20));
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            List<NbdTestClient.OptionReply> list = c.option(OPT_LIST, new byte[0]);
            Set<String> names = new HashSet<>();
            for (var r : list) {
                if (r.type() == REP_SERVER) {
                    names.add(new String(r.data(), 4, r.data().length - 4, StandardCharsets.UTF_8));
                }
            }
            assertEquals(Set.of("vm1", "vm2"), names);
            assertEquals(REP_ACK, list.get(list.size() - 1).type());
            assertEquals(REP_ERR_INVALID, c.option(OPT_LIST, new byte[1]).get(0).type());
            assertEquals(REP_ERR_UNSUP, c.option(77, new byte[]{1, 2, 3}).get(0).type());
            assertEquals(REP_ERR_UNKNOWN, c.option(OPT_GO, NbdTestClient.infoPayload("nope")).get(0).type());
            assertEquals(REP_ERR_INVALID, c.option(OPT_INFO, new byte[]{0, 0, 0, 9, 1}).get(0).type());
            assertEquals(REP_ERR_POLICY, c.option(OPT_STARTTLS, new byte[0]).get(0).type(), "no TLS configured");
            var info = c.option(OPT_INFO, NbdTestClient.infoPayload("vm2"));
            assertEquals(REP_ACK, info.get(info.size() - 1).type());
            // still negotiating after INFO: EXPORT_NAME enters transmission
            c.sendOption(OPT_EXPORT_NAME, "vm2".getBytes(StandardCharsets.UTF_8));
            // reply: u64 size, u16 flags and, as NO_ZEROES was negotiated, no padding; then transmission
            assertEquals(1 << 20, c.readLong());
            assertEquals(TFLAG_HAS_FLAGS, c.readShort() & TFLAG_HAS_FLAGS);
            byte[] data = pattern(4096, 6);
            assertEquals(0, c.write(4096, data, 0));
            assertArrayEquals(data, c.read(4096, 4096));
        }
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
            var in = new java.io.DataInputStream(s.getInputStream());
            var out = new java.io.DataOutputStream(s.getOutputStream());
            in.skipNBytes(18);
            out.writeInt(FLAG_C_FIXED_NEWSTYLE); // zeroes wanted
            out.writeLong(IHAVEOPT);
            out.writeInt(OPT_EXPORT_NAME);
            out.writeInt(3);
            out.write("vm2".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertEquals(1 << 20, in.readLong());
            int flags = in.readUnsignedShort();
            assertEquals(TFLAG_HAS_FLAGS, flags & TFLAG_HAS_FLAGS);
            byte[] zeroes = new byte[124];
            in.readFully(zeroes);
            assertArrayEquals(new byte[124], zeroes);
            out.writeInt(REQUEST_MAGIC);
            out.writeShort(0);
            out.writeShort(CMD_READ);
            out.writeLong(77);
            out.writeLong(0);
            out.writeInt(512);
            out.flush();
            assertEquals(SIMPLE_REPLY_MAGIC, in.readInt());
            assertEquals(0, in.readInt());
            assertEquals(77, in.readLong());
            in.readFully(new byte[512]);
        }
    }

    @Test
    void exportNameOfUnknownVolumeClosesTheConnection() throws Exception {
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            c.sendOption(OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void aSlowReadDoesNotBlockOtherRequestsAndRepliesComeOutOfOrder() throws Exception {
        InMemoryVolume v = service.openInMemory("vm1");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        long slowOffset = 40L << 20;
        v.setReadHook(off -> {
            if (off == slowOffset) {
                entered.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try (NbdTestClient c = connect("vm1", true)) {
            c.send(CMD_READ, 0, 100, slowOffset, 4096, null);
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            byte[] data = pattern(4096, 7);
            c.send(CMD_WRITE, 0, 101, 0, 4096, data);
            c.send(CMD_READ, 0, 102, 0, 4096, null);
            // the two later requests complete while the first read is still blocked
            Set<Long> first = new HashSet<>();
            NbdTestClient.Reply a = c.receive();
            first.add(a.cookie());
            if (a.cookie() == 101) {
                NbdTestClient.Reply b = c.receive();
                first.add(b.cookie());
                assertArrayEquals(data, b.data());
            } else {
                first.add(c.receive().cookie());
            }
            assertEquals(Set.of(101L, 102L), first);
            release.countDown();
            NbdTestClient.Reply slow = c.receive();
            assertEquals(100, slow.cookie());
            assertEquals(0, slow.error());
        } finally {
            release.countDown();
        }
    }

    @Test
    void manyRequestsInFlightOnSeveralConnections() throws Exception {
        int conns = 3;
        int perConn = 300;
        Thread[] threads = new Thread[conns];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < conns; t++) {
            final int id = t;
            threads[t] = new Thread(() -> {
                try (NbdTestClient c = connect("vm1", id % 2 == 0)) {
                    long base = (long) id * (8 << 20);
                    Thread sender = new Thread(() -> {
                        try {
                            for (int i = 0; i < perConn; i++) {
                                c.send(CMD_WRITE, 0, i, base + i * 8192L, 8192, pattern(8192, id * 1000L + i));
                            }
                        } catch (Exception e) {
                            failure[0] = e;
                        }
                    });
                    sender.start();
                    Set<Long> seen = new HashSet<>();
                    for (int i = 0; i < perConn; i++) {
                        NbdTestClient.Reply r = c.receive();
                        assertEquals(0, r.error());
                        assertTrue(seen.add(r.cookie()));
                    }
                    sender.join();
                    assertEquals(0, c.command(CMD_FLUSH, 0, 0, 0));
                    for (int i = 0; i < perConn; i++) {
                        assertArrayEquals(pattern(8192, id * 1000L + i), c.read(base + i * 8192L, 8192));
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }

    @Test
    void badMagicClosesOnlyThatConnection() throws Exception {
        try (NbdTestClient good = connect("vm1", false); NbdTestClient bad = connect("vm1", false)) {
            bad.rawWrite(new byte[28]);
            assertTrue(bad.closedByServer());
            byte[] d = pattern(4096, 8);
            assertEquals(0, good.write(4096, d, 0));
            assertArrayEquals(d, good.read(4096, 4096));
        }
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            c.rawWrite(new byte[16]); // option with a zero magic
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void disconnectAnswersOutstandingRequestsThenCloses() throws Exception {
        try (NbdTestClient c = connect("vm1", false)) {
            byte[] d = pattern(65536, 9);
            c.send(CMD_WRITE, 0, 1, 0, d.length, d);
            c.send(CMD_DISC, 0, 2, 0, 0, null);
            assertEquals(0, c.receive().error());
            assertTrue(c.closedByServer());
        }
        try (NbdTestClient c = connect("vm1", false)) {
            assertArrayEquals(pattern(65536, 9), c.read(0, 65536));
        }
    }

    @Test
    void atMostMaxInFlightRequestsRunAtOnceAndTheRestWait() throws Exception {
        server.close();
        NbdServerConfig l = NbdServerConfig.loopback(0);
        server = new NbdServer(new NbdServerConfig(l.host(), 0, 16, 4, l.maxPayload(), null, null, ExportPolicy.OPEN,
                Map.of(), NbdServerConfig.DEFAULT_NEGOTIATION_TIMEOUT), service, new SimpleMeterRegistry());
        InMemoryVolume v = service.openInMemory("vm1");
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger peak = new java.util.concurrent.atomic.AtomicInteger();
        v.setReadHook(off -> {
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
        });
        try (NbdTestClient c = connect("vm1", false)) {
            for (int i = 0; i < 40; i++) {
                c.send(CMD_READ, 0, i, i * 4096L, 4096, null);
            }
            Thread.sleep(500);
            assertEquals(4, peak.get(), "the server stops reading at maxInFlight (16 workers were free)");
            release.countDown();
            Set<Long> cookies = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                NbdTestClient.Reply r = c.receive();
                assertEquals(0, r.error());
                cookies.add(r.cookie());
            }
            assertEquals(40, cookies.size());
        } finally {
            release.countDown();
        }
    }

    @Test
    void aClientThatNeverFinishesNegotiationIsDisconnected() throws Exception {
        server.close();
        server = new NbdServer(NbdServerConfig.loopback(0).withNegotiationTimeout(java.time.Duration.ofMillis(300)),
                service, new SimpleMeterRegistry());
        try (NbdTestClient idle = new NbdTestClient("127.0.0.1", server.port());
             NbdTestClient attached = connect("vm1", false)) {
            long start = System.nanoTime();
            assertTrue(idle.closedByServer());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            Thread.sleep(400);
            byte[] d = pattern(4096, 12);
            assertEquals(0, attached.write(0, d, 0), "a connection in transmission is not timed out");
            assertArrayEquals(d, attached.read(0, 4096));
        }
    }

    @Test
    void aBusyPortIsReportedWithTheAddress() {
        var e = assertThrows(IllegalStateException.class, () -> new NbdServer(NbdServerConfig.loopback(server.port()),
                service, new SimpleMeterRegistry()));
        assertTrue(e.getMessage().startsWith("cannot listen for NBD on 127.0.0.1:" + server.port()), e.getMessage());
    }

    @Test
    void allowListRefusesOtherClients() throws Exception {
        server.close();
        ExportPolicy onlyTen = new ExportPolicy(false, false, List.of("10.0.0.0/8"));
        ExportPolicy loop = new ExportPolicy(true, false, List.of("127.0.0.1"));
        server = new NbdServer(NbdServerConfig.loopback(0).withExports(onlyTen, Map.of("ro", loop)), service,
                new SimpleMeterRegistry());
        service.create("ro", VolumeSpec.ofSize(1 << 20));
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            assertEquals(REP_ERR_POLICY, c.go("vm1"));
            assertEquals(REP_ACK, c.go("ro"));
            assertEquals(TFLAG_READ_ONLY, c.transmissionFlags & TFLAG_READ_ONLY, "policy makes it read-only");
            assertEquals(EPERM, c.write(0, new byte[512], 0));
        }
        assertThrows(IllegalArgumentException.class, () -> new ExportPolicy(false, false, List.of("10.0.0.0/33")));
        assertThrows(IllegalArgumentException.class, () -> new ExportPolicy(false, false, List.of("host.example")));
    }
}
