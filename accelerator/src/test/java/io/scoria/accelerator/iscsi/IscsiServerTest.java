package io.scoria.accelerator.iscsi;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.metrics.VolumeMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import io.scoria.backend.config.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The target over the wire, with {@link IscsiTestClient}, against in-memory volumes. */
class IscsiServerTest {
    static final String TARGET = "iqn.2026-12.io.scoria:vm1";
    static final Map<String, String> OPS = Map.of("ImmediateData", "Yes", "InitialR2T", "No",
            "MaxRecvDataSegmentLength", "65536", "FirstBurstLength", "65536", "MaxBurstLength", "262144");

    InMemoryVolumeService service = new InMemoryVolumeService();
    IscsiServer server;

    IscsiServer start(IscsiServerConfig config) {
        service.create("vm1", VolumeSpec.ofSize(64L << 20));
        server = new IscsiServer(config, service, new SimpleMeterRegistry());
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        service.close();
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void writesReadBackByteExactWithEveryDataPath() throws Exception {
        start(IscsiServerConfig.loopback(0));
        for (Map<String, String> ops : new Map[]{OPS, Map.of("ImmediateData", "No", "InitialR2T", "Yes"),
                Map.of("HeaderDigest", "CRC32C,None", "DataDigest", "CRC32C", "MaxBurstLength", "16384")}) {
            try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
                assertEquals(0, c.login(TARGET, ops));
                for (int blocks : new int[]{1, 8, 129, 2048}) {
                    byte[] data = pattern(blocks * 512, blocks);
                    c.write(blocks * 3L, data, 512, blocks == 8);
                    assertArrayEquals(data, c.read(blocks * 3L, blocks, 512), "blocks " + blocks + " " + ops);
                }
                assertEquals(0, c.logout());
            }
        }
        byte[] direct = new byte[512];
        service.open("vm1").read(3L * 512 * 129, ByteBuffer.wrap(direct));
        assertArrayEquals(java.util.Arrays.copyOf(pattern(129 * 512, 129), 512), direct);
    }

    @Test
    void blockCommandsAreCountedInTheVolumesMeters() throws Exception {
        service.create("vm1", VolumeSpec.ofSize(64L << 20));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        VolumeMetrics metrics = new VolumeMetrics(registry, VolumeMetrics.DEFAULT_LIMIT, v -> java.util.Optional.empty());
        server = new IscsiServer(IscsiServerConfig.loopback(0), service, registry, metrics,
                io.scoria.accelerator.frontend.QosGates.NONE, io.scoria.accelerator.frontend.Attachments.NONE);
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(TARGET, OPS));
            c.write(0, pattern(8 * 512, 1), 512, false);
            c.write(64, pattern(16 * 512, 2), 512, false);
            c.read(0, 8, 512);
            c.scsi(new byte[]{0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, null, 0);       // SYNCHRONIZE CACHE 10
            byte[] unmap = new byte[8 + 16];                                      // one descriptor: 32 blocks at LBA 64
            unmap[1] = 22;
            unmap[3] = 16;
            unmap[8 + 7] = 64;
            unmap[8 + 11] = 32;
            c.scsi(new byte[]{0x42, 0, 0, 0, 0, 0, 0, 0, (byte) unmap.length, 0}, unmap, 0);
            c.scsi(new byte[]{0x12, 0, 0, 0, 36, 0}, null, 36);                  // INQUIRY: not a block command
            assertThrows(IOException.class, () -> c.read(1L << 20, 1, 512));    // past the end: an error
            assertEquals(0, c.logout());
        }
        var stats = metrics.meters("vm1").stats();
        assertEquals(2, stats.get("write").requests());
        assertEquals(24 * 512, stats.get("write").bytes());
        assertEquals(2, stats.get("read").requests());
        assertEquals(8 * 512, stats.get("read").bytes());
        assertEquals(1, stats.get("read").errors());
        assertEquals(1, stats.get("flush").requests());
        assertEquals(1, stats.get("trim").requests());
        assertEquals(32 * 512, stats.get("trim").bytes());
    }

    @Test
    void discoveryListsEveryVolumeAsATarget() throws Exception {
        start(IscsiServerConfig.loopback(0));
        service.create("vm2", VolumeSpec.ofSize(1 << 20));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(null, Map.of()));
            String t = c.text("SendTargets=All");
            assertTrue(t.contains("TargetName=iqn.2026-12.io.scoria:vm1"), t);
            assertTrue(t.contains("TargetName=iqn.2026-12.io.scoria:vm2"), t);
            assertTrue(t.contains("TargetAddress=127.0.0.1:" + server.port() + ",1"), t);
        }
    }

    @Test
    void unknownTargetIsNotFound() throws Exception {
        start(IscsiServerConfig.loopback(0));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(LoginException.NOT_FOUND, c.login("iqn.2026-12.io.scoria:nope", Map.of()));
        }
    }

    @Test
    void chapAndMutualChap() throws Exception {
        Secret secret = Secret.of("initiator-secret-1");
        Secret targetSecret = Secret.of("target-secret-22");
        ChapSettings chap = ChapSettings.of("host1", secret).withMutual("scoria", targetSecret);
        start(IscsiServerConfig.loopback(0).withChap(chap, chap));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(TARGET, "host1", secret, targetSecret, Map.of()));
            assertEquals(0, c.scsi(new byte[6], null, 0).status());
        }
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(null, "host1", secret, null, Map.of()));
        }
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(LoginException.AUTHENTICATION_FAILED,
                    c.login(TARGET, "host1", Secret.of("wrong-secret-123"), null, Map.of()));
        }
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(LoginException.AUTHENTICATION_FAILED, c.login(TARGET, Map.of()), "no CHAP, no entry");
        }
    }

    @Test
    void unknownCommandIsIllegalRequestAndNopEchoes() throws Exception {
        start(IscsiServerConfig.loopback(0));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(TARGET, OPS));
            IscsiTestClient.Response r = c.scsi(new byte[]{(byte) 0xc7, 0, 0, 0, 0, 0}, null, 0);
            assertEquals(ScsiResult.CHECK_CONDITION, r.status());
            assertEquals(SenseException.ILLEGAL_REQUEST, r.senseKey());
            assertEquals(0x20, r.asc());
            assertArrayEquals("ping".getBytes(), c.nop("ping".getBytes()));
            IscsiTestClient.Response past = c.scsi(IscsiTestClient.cdb16(BlockCommands.READ_16, (64L << 20) / 512, 1, 0),
                    null, 512);
            assertEquals(0x21, past.asc(), "LBA out of range");
        }
    }

    @Test
    void windowGrantsCmdWindowCommands() throws Exception {
        start(IscsiServerConfig.loopback(0));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(TARGET, OPS));
            c.scsi(new byte[6], null, 0);
            // ExpCmdSN is 2 after one command; MaxCmdSN grants the window
            assertEquals(2 + IscsiLimits.DEFAULTS.cmdWindow() - 1, c.maxCmdSn);
        }
    }

    @Test
    void abortTaskOfACommandWaitingForData() throws Exception {
        start(IscsiServerConfig.loopback(0));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(TARGET, Map.of("ImmediateData", "No", "InitialR2T", "Yes")));
            int tag = c.nextTag();
            c.send(c.commandHeader(IscsiTestClient.cdb16(BlockCommands.WRITE_16, 0, 8, 0), 0xa1, 4096, tag), null);
            IscsiTestClient.Received r2t = c.read();
            assertEquals(Pdu.R2T, r2t.opcode());
            byte[] tmf = PduWriter.header(0x40 | Pdu.TASK_MGMT, 0x80 | 1);
            PduWriter.putInt(tmf, 16, c.nextTag());
            PduWriter.putInt(tmf, 20, tag);
            PduWriter.putInt(tmf, 24, 2);
            PduWriter.putInt(tmf, 32, 1);
            c.send(tmf, null);
            IscsiTestClient.Received resp = c.read();
            assertEquals(Pdu.TASK_MGMT_RESPONSE, resp.opcode());
            assertEquals(0, resp.bhs()[2], "function complete");
            assertEquals(0, server.commandBytesHeld(), "the aborted write gave its buffer back");
            assertArrayEquals(new byte[4096], c.read(0, 8, 512));
        }
    }

    /**
     * TARGET COLD RESET (RFC 7143 section 11.5.1): the response reaches the initiator that asked, then
     * every connection to that target closes (of every initiator); another target's session stays.
     */
    @Test
    void targetColdResetAnswersThenClosesEveryConnectionToTheTarget() throws Exception {
        start(IscsiServerConfig.loopback(0));
        service.create("vm2", VolumeSpec.ofSize(64L << 20));
        try (IscsiTestClient a = new IscsiTestClient("127.0.0.1", server.port());
             IscsiTestClient b = new IscsiTestClient("127.0.0.1", server.port());
             IscsiTestClient other = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, a.login(TARGET, OPS));
            assertEquals(0, b.login(TARGET, OPS));
            assertEquals(0, other.login("iqn.2026-12.io.scoria:vm2", OPS));
            byte[] data = pattern(4096, 7);
            b.write(0, data, 512, false);
            byte[] tmf = PduWriter.header(0x40 | Pdu.TASK_MGMT, 0x80 | 7);
            PduWriter.putInt(tmf, 16, a.nextTag());
            PduWriter.putInt(tmf, 20, Pdu.RESERVED_TAG);
            PduWriter.putInt(tmf, 24, 1);
            a.send(tmf, null);
            IscsiTestClient.Received resp = a.read();
            assertEquals(Pdu.TASK_MGMT_RESPONSE, resp.opcode());
            assertEquals(0, resp.bhs()[2], "function complete");
            assertThrows(java.io.IOException.class, a::read, "the asking connection closes after its response");
            assertThrows(java.io.IOException.class, b::readSkippingPings, "every connection to the target closes");
            assertArrayEquals(new byte[512], other.read(0, 1, 512), "another target's session goes on");
        }
        try (IscsiTestClient again = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, again.login(TARGET, OPS), "the initiator logs in again");
            assertArrayEquals(pattern(4096, 7), again.read(0, 8, 512), "nothing written before the reset is lost");
        }
    }

    @Test
    void malformedPduClosesOnlyThatConnection() throws Exception {
        start(IscsiServerConfig.loopback(0));
        try (IscsiTestClient good = new IscsiTestClient("127.0.0.1", server.port());
             IscsiTestClient bad = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, good.login(TARGET, OPS));
            assertEquals(0, bad.login(TARGET, OPS));
            byte[] h = PduWriter.header(Pdu.SCSI_COMMAND, 0x80);
            h[5] = (byte) 0xff; // a data segment past MaxRecvDataSegmentLength
            bad.socket.getOutputStream().write(h);
            assertThrows(IOException.class, () -> bad.read());
            byte[] data = pattern(4096, 5);
            good.write(10, data, 512, false);
            assertArrayEquals(data, good.read(10, 8, 512));
        }
    }

    @Test
    void idleConnectionGetsPingedAndSilentOneIsClosed() throws Exception {
        start(IscsiServerConfig.loopback(0).withLimits(IscsiLimits.DEFAULTS.withTimeouts(Duration.ofSeconds(30),
                Duration.ofMillis(600), Duration.ofMillis(200))));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(TARGET, OPS));
            IscsiTestClient.Received ping = c.read();
            assertEquals(Pdu.NOP_IN, ping.opcode());
            assertEquals(Pdu.RESERVED_TAG, ping.int32(16));
            long start = System.nanoTime();
            assertEquals(-1, c.socket.getInputStream().read(), "closed after an unanswered ping");
            assertTrue(System.nanoTime() - start < 10_000_000_000L);
        }
    }

    static byte[] reserveOut(int action, int type) {
        return new byte[]{0x5f, (byte) action, (byte) type, 0, 0, 0, 0, 0, 24, 0};
    }

    static byte[] reserveParameters(long key, long serviceKey) {
        return ByteBuffer.allocate(24).putLong(key).putLong(serviceKey).array();
    }

    @Test
    void persistentReservationsSurviveARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        IscsiServerConfig config = IscsiServerConfig.loopback(0).withReservations(dir);
        start(config);
        try (IscsiTestClient owner = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, owner.login(TARGET, OPS));
            assertEquals(0, owner.scsi(reserveOut(0, 0), reserveParameters(0, 0xabcL), 0).status());
            assertEquals(0, owner.scsi(reserveOut(1, PersistentReservations.EXCLUSIVE_ACCESS),
                    reserveParameters(0xabcL, 0), 0).status());
        }
        server.close();
        server = new IscsiServer(config, service, new SimpleMeterRegistry());
        try (IscsiTestClient other = new IscsiTestClient("127.0.0.1", server.port());
             IscsiTestClient owner = new IscsiTestClient("127.0.0.1", server.port())) {
            other.initiator = "iqn.2026-12.io.scoria.test:other";
            assertEquals(0, other.login(TARGET, OPS));
            assertEquals(ScsiResult.RESERVATION_CONFLICT,
                    other.scsi(IscsiTestClient.cdb16(BlockCommands.READ_16, 0, 1, 0), null, 512).status());
            IscsiTestClient.Response keys = other.scsi(new byte[]{0x5e, 0, 0, 0, 0, 0, 0, 0, 64, 0}, null, 64);
            assertEquals(8, ByteBuffer.wrap(keys.data()).getInt(4), "one key registered");
            assertEquals(0xabcL, ByteBuffer.wrap(keys.data()).getLong(8));
            assertEquals(0, owner.login(TARGET, OPS));
            byte[] data = pattern(512, 3);
            owner.write(0, data, 512, true);
            assertArrayEquals(data, owner.read(0, 1, 512), "the holder still reads and writes");
            assertEquals(0, owner.scsi(reserveOut(3, 0), reserveParameters(0xabcL, 0), 0).status(), "CLEAR");
            assertArrayEquals(data, other.read(0, 1, 512), "after CLEAR everyone may read");
        }
    }

    @Test
    void blockSize4096() throws Exception {
        start(IscsiServerConfig.loopback(0).withBlockSize(4096));
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(TARGET, OPS));
            IscsiTestClient.Response cap = c.scsi(new byte[]{0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, null, 8);
            assertEquals((64 << 20) / 4096 - 1, ByteBuffer.wrap(cap.data()).getInt(0));
            assertEquals(4096, ByteBuffer.wrap(cap.data()).getInt(4));
            byte[] data = pattern(3 * 4096, 9);
            c.write(7, data, 4096, false);
            assertArrayEquals(data, c.read(7, 3, 4096));
        }
    }
}
