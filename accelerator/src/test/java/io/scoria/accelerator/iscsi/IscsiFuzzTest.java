package io.scoria.accelerator.iscsi;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Sends at least 100,000 random and mutated PDUs (fixed seed) to the target over the real engine
 * (volumes with SCOs, TLogs and a cluster cache on disk): logins, SCSI commands with and without
 * data, Data-Out, NOP-Out, Text, Task Management, Logout and random bytes. Then a normal initiator
 * reads byte-exact, a volume the fuzzer never named is unchanged, and no command memory is held.
 */
class IscsiFuzzTest {
    static final int PDUS = 100_000;
    static final int PER_CONNECTION = 50;
    static final int[] OPCODES = {0x00, 0x03, 0x08, 0x0a, 0x12, 0x1a, 0x25, 0x28, 0x2a, 0x2e, 0x2f, 0x35, 0x41,
            0x42, 0x5a, 0x88, 0x89, 0x8a, 0x8f, 0x91, 0x93, 0x9e, 0xa0, 0xa3, 0xa8, 0xaa};

    @Test
    void theRealEngineSurvivesRandomAndMutatedPdus(@TempDir Path dir) throws Exception {
        EngineConfig config = EngineConfig.defaults(dir).withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
        try (LocalVolumeService service = new LocalVolumeService(new InMemoryObjectStore(), config)) {
            fuzz(service);
        }
    }

    private static void fuzz(VolumeService service) throws Exception {
        service.create("fuzz", VolumeSpec.ofSize(1 << 20));
        service.create("canary", VolumeSpec.ofSize(1 << 20));
        byte[] canary = IscsiServerTest.pattern(1 << 20, 99);
        service.open("canary").write(0, ByteBuffer.wrap(canary), false);
        IscsiLimits limits = IscsiLimits.DEFAULTS.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ZERO);
        try (IscsiServer server = new IscsiServer(IscsiServerConfig.loopback(0).withLimits(limits), service,
                new SimpleMeterRegistry())) {
            Random rnd = new Random(20261207L);
            int sent = 0;
            int connections = 0;
            int closedByServer = 0;
            while (sent < PDUS) {
                connections++;
                try (Socket s = new Socket("127.0.0.1", server.port())) {
                    s.setSoLinger(true, 0);
                    OutputStream out = s.getOutputStream();
                    boolean discovery = rnd.nextInt(8) == 0;
                    out.write(IscsiFuzzTest.mutate(login(discovery, 0), rnd, 6));
                    out.write(login(discovery, 1));
                    for (int i = 0; i < PER_CONNECTION; i++) {
                        out.write(mutate(pdu(rnd, i + 2), rnd, 4));
                        sent++;
                    }
                    out.flush();
                } catch (IOException e) {
                    closedByServer++; // the target hung up on garbage: allowed, counted
                }
            }
            assertTrue(connections >= PDUS / PER_CONNECTION);

            try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
                assertEquals(0, c.login("iqn.2026-12.io.scoria:fuzz", IscsiServerTest.OPS));
                byte[] data = IscsiServerTest.pattern(200 * 512, 1);
                c.write(21, data, 512, true);
                assertArrayEquals(data, c.read(21, 200, 512));
            }
            try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
                assertEquals(0, c.login("iqn.2026-12.io.scoria:canary", Map.of()));
                assertArrayEquals(canary, c.read(0, 2048, 512), "a target the fuzzer never named is unchanged");
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.commandBytesHeld() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, server.commandBytesHeld(), "every command gave its memory back");
            System.out.printf("iSCSI fuzz: %d PDUs on %d connections, %d ended by the target%n", sent, connections,
                    closedByServer);
        }
    }

    /** The two login PDUs of a session without CHAP: security (stage 0) then operational (stage 1). */
    static byte[] login(boolean discovery, int stage) {
        String keys = stage == 0
                ? "InitiatorName=iqn.2026-12.fuzz:i\0SessionType=" + (discovery ? "Discovery" : "Normal\0"
                + "TargetName=iqn.2026-12.io.scoria:fuzz") + "\0AuthMethod=None\0"
                : "ImmediateData=Yes\0InitialR2T=No\0MaxBurstLength=65536\0FirstBurstLength=16384\0";
        byte[] h = PduWriter.header(0x40 | Pdu.LOGIN, 0x80 | (stage << 2) | (stage == 0 ? 1 : 3));
        h[8] = 0x40;
        PduWriter.putInt(h, 16, stage);
        PduWriter.putInt(h, 24, 1);
        return pdu(h, keys.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] pdu(byte[] h, byte[] data) {
        h[5] = (byte) (data.length >>> 16);
        h[6] = (byte) (data.length >>> 8);
        h[7] = (byte) data.length;
        byte[] b = Arrays.copyOf(h, 48 + ((data.length + 3) & ~3));
        System.arraycopy(data, 0, b, 48, data.length);
        return b;
    }

    static byte[] pdu(Random rnd, int cmdSn) {
        int kind = rnd.nextInt(10);
        byte[] h;
        byte[] data = new byte[0];
        switch (kind) {
            case 0, 1, 2, 3 -> {
                byte[] cdb = new byte[16];
                rnd.nextBytes(cdb);
                cdb[0] = (byte) OPCODES[rnd.nextInt(OPCODES.length)];
                if (rnd.nextBoolean()) {
                    Arrays.fill(cdb, 2, 8, (byte) 0); // mostly in range
                    cdb[9] = (byte) rnd.nextInt(4);
                    cdb[13] = (byte) rnd.nextInt(16);
                    Arrays.fill(cdb, 10, 13, (byte) 0);
                    cdb[1] &= 0x1f;
                }
                boolean write = rnd.nextBoolean();
                int edtl = 512 * rnd.nextInt(17);
                int flags = (rnd.nextInt(4) == 0 ? 0 : 0x80) | (write ? 0x20 : 0x40) | 1;
                h = PduWriter.header(Pdu.SCSI_COMMAND, flags);
                PduWriter.putInt(h, 20, edtl);
                PduWriter.putInt(h, 16, rnd.nextInt(64));
                System.arraycopy(cdb, 0, h, 32, 16);
                if (write && edtl > 0) {
                    data = new byte[Math.min(edtl, rnd.nextInt(2) * 8192)];
                    rnd.nextBytes(data);
                }
            }
            case 4 -> {
                h = PduWriter.header(Pdu.DATA_OUT, rnd.nextBoolean() ? 0x80 : 0);
                PduWriter.putInt(h, 16, rnd.nextInt(64));
                PduWriter.putInt(h, 20, rnd.nextBoolean() ? Pdu.RESERVED_TAG : rnd.nextInt(8));
                PduWriter.putInt(h, 40, 512 * rnd.nextInt(20));
                data = new byte[512 * rnd.nextInt(4)];
            }
            case 5 -> {
                h = PduWriter.header(0x40 | Pdu.NOP_OUT, 0x80);
                PduWriter.putInt(h, 16, rnd.nextBoolean() ? Pdu.RESERVED_TAG : rnd.nextInt());
                data = new byte[rnd.nextInt(100)];
            }
            case 6 -> {
                h = PduWriter.header(0x40 | Pdu.TEXT, 0x80);
                data = (rnd.nextBoolean() ? "SendTargets=All\0" : "SendTargets=\0X=1\0").getBytes(StandardCharsets.UTF_8);
            }
            case 7 -> {
                h = PduWriter.header(0x40 | Pdu.TASK_MGMT, 0x80 | rnd.nextInt(9));
                PduWriter.putInt(h, 20, rnd.nextInt(64));
            }
            case 8 -> h = PduWriter.header(0x40 | (rnd.nextInt(10) == 0 ? Pdu.LOGOUT : rnd.nextInt(64)), rnd.nextInt());
            default -> {
                h = new byte[48];
                rnd.nextBytes(h);
                h[4] = 0;
                h[5] = 0;
                h[6] = (byte) rnd.nextInt(4);
            }
        }
        if (kind <= 7) {
            PduWriter.putInt(h, 24, cmdSn);
        }
        return pdu(h, data);
    }

    /** Sends most PDUs intact; of the rest, flips bits, overwrites a byte, truncates or appends garbage. */
    static byte[] mutate(byte[] msg, Random rnd, int intactOutOf10) {
        int kind = rnd.nextInt(10);
        if (kind < intactOutOf10) {
            return msg;
        }
        byte[] m = msg.clone();
        switch (kind % 4) {
            case 0 -> {
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) {
                    m[rnd.nextInt(m.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> m[rnd.nextInt(m.length)] = (byte) rnd.nextInt();
            case 2 -> m = Arrays.copyOf(m, rnd.nextInt(m.length));
            default -> {
                byte[] grown = Arrays.copyOf(m, m.length + 1 + rnd.nextInt(32));
                rnd.nextBytes(grown);
                System.arraycopy(m, 0, grown, 0, m.length);
                m = grown;
            }
        }
        return m;
    }
}
