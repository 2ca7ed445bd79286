package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Path;
import java.time.Duration;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Sends at least 100,000 random and mutated messages (fixed seed), then checks that the server
 * still serves a normal client byte-exact and that an export the fuzzer never named is unchanged:
 * a mix of both phases against the in-memory volumes, and against the real engine 100,000 of
 * negotiation options and 100,000 of transmission requests.
 */
class NbdFuzzTest {
    static final int MESSAGES = 100_000;
    static final int PER_CONNECTION = 50;

    /** Which phase the fuzzed messages are for: 1 in 4 connections negotiate only, or one phase only. */
    enum Phases { MIXED, NEGOTIATION, TRANSMISSION }

    @Test
    void serverSurvivesRandomAndMutatedMessages() throws Exception {
        try (InMemoryVolumeService service = new InMemoryVolumeService()) {
            fuzz(service, Phases.MIXED);
        }
    }

    /** Negotiation messages against the real engine: volumes with SCOs, TLogs and a cluster cache on disk. */
    @Test
    void theRealEngineSurvivesRandomNegotiation(@TempDir Path dir) throws Exception {
        try (LocalVolumeService service = new LocalVolumeService(new InMemoryObjectStore(), engine(dir))) {
            fuzz(service, Phases.NEGOTIATION);
        }
    }

    /** Transmission requests against the real engine. */
    @Test
    void theRealEngineSurvivesRandomTransmission(@TempDir Path dir) throws Exception {
        try (LocalVolumeService service = new LocalVolumeService(new InMemoryObjectStore(), engine(dir))) {
            fuzz(service, Phases.TRANSMISSION);
        }
    }

    private static EngineConfig engine(Path dir) {
        return EngineConfig.defaults(dir).withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
    }

    private static void fuzz(VolumeService service, Phases phases) throws Exception {
        {
            service.create("fuzz", VolumeSpec.ofSize(1 << 20));
            service.create("canary", VolumeSpec.ofSize(1 << 20));
            byte[] canary = NbdServerTest.pattern(1 << 20, 99);
            service.open("canary").write(0, ByteBuffer.wrap(canary), false);
            service.open("canary").snapshot("s"); // GO canary@s opens read-only snapshot views
            try (NbdServer server = new NbdServer(NbdServerConfig.loopback(0), service, new SimpleMeterRegistry())) {
                Random rnd = new Random(20261122L);
                int sent = 0;
                int connections = 0;
                int closedByServer = 0;
                while (sent < MESSAGES) {
                    connections++;
                    boolean transmission = switch (phases) {
                        case MIXED -> rnd.nextInt(4) != 0;
                        case NEGOTIATION -> false;
                        case TRANSMISSION -> true;
                    };
                    try (Socket s = new Socket("127.0.0.1", server.port())) {
                        s.setSoLinger(true, 0);
                        OutputStream out = s.getOutputStream();
                        s.getInputStream().readNBytes(18);
                        out.write(ByteBuffer.allocate(4).putInt(rnd.nextInt(8) == 0 ? rnd.nextInt() : 3).array());
                        if (transmission) {
                            if (rnd.nextBoolean()) { // so that BLOCK_STATUS is valid on half of the connections
                                out.write(option(OPT_STRUCTURED_REPLY, new byte[0]));
                                out.write(option(OPT_SET_META_CONTEXT,
                                        NbdTestClient.metaPayload("fuzz", CONTEXT_BASE_ALLOCATION)));
                            }
                            out.write(option(OPT_GO, NbdTestClient.infoPayload("fuzz")));
                        }
                        for (int i = 0; i < PER_CONNECTION; i++) {
                            byte[] msg = transmission ? request(rnd) : option(rnd);
                            out.write(mutate(msg, rnd));
                            sent++;
                        }
                        out.flush();
                    } catch (IOException e) {
                        closedByServer++; // the server hung up on garbage: allowed, counted
                    }
                }
                assertTrue(sent >= MESSAGES, "sent " + sent);
                assertTrue(connections >= MESSAGES / PER_CONNECTION);

                // a normal client is served byte-exact, with simple and structured replies, on a volume no fuzz
                // connection named (their requests may still be running on the fuzzed volume after their sockets
                // were reset); the fuzzed volume itself still answers
                service.create("after", VolumeSpec.ofSize(1 << 20));
                try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                    assertEquals(REP_ACK, c.go("fuzz"));
                    assertEquals(4096, c.read(0, 4096).length);
                }
                for (boolean structured : new boolean[]{false, true}) {
                    try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                        if (structured) {
                            assertTrue(c.negotiateStructuredReplies());
                        }
                        if (structured) {
                            assertEquals(1, NbdTestClient.contextNames(c.option(OPT_SET_META_CONTEXT,
                                    NbdTestClient.metaPayload("after", CONTEXT_BASE_ALLOCATION))).size());
                        }
                        assertEquals(REP_ACK, c.go("after"));
                        byte[] data = NbdServerTest.pattern(200_000, structured ? 1 : 2);
                        assertEquals(0, c.write(4321, data, CMD_FLAG_FUA));
                        assertArrayEquals(data, c.read(4321, data.length));
                        if (structured) {
                            List<long[]> d = c.blockStatus(0, 1 << 20, 0);
                            assertEquals(1 << 20, d.stream().mapToLong(x -> x[0]).sum(), "extents cover the export");
                            List<long[]> written = c.blockStatus(4321, data.length, 0);
                            assertTrue(written.stream().allMatch(x -> x[1] == 0), "the data just written is no hole");
                        }
                    }
                }
                try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                    assertEquals(REP_ACK, c.go("canary"));
                    assertArrayEquals(canary, c.read(0, 1 << 20), "an export the fuzzer never named is unchanged");
                }
                System.out.printf("fuzz: %d messages on %d connections, %d ended by the server%n", sent, connections,
                        closedByServer);
            }
        }
    }

    static byte[] option(int option, byte[] data) {
        return ByteBuffer.allocate(16 + data.length).putLong(IHAVEOPT).putInt(option).putInt(data.length).put(data)
                .array();
    }

    static byte[] option(Random rnd) {
        return switch (rnd.nextInt(12)) {
            case 8 -> option(rnd.nextBoolean() ? OPT_LIST_META_CONTEXT : OPT_SET_META_CONTEXT,
                    NbdTestClient.metaPayload(rnd.nextBoolean() ? "fuzz" : "fuzz@none", rnd.nextBoolean() ? "base:" : "base:allocation",
                            "x-" + rnd.nextInt(9) + ":y"));
            case 9 -> option(OPT_SET_META_CONTEXT, random(rnd, rnd.nextInt(24)));
            case 10 -> option(OPT_GO, NbdTestClient.infoPayload(rnd.nextBoolean() ? "canary@s" : "fuzz@"));
            case 0 -> option(OPT_LIST, new byte[0]);
            case 1 -> option(OPT_INFO, NbdTestClient.infoPayload("fuzz", INFO_BLOCK_SIZE, INFO_NAME));
            case 2 -> option(OPT_STRUCTURED_REPLY, new byte[0]);
            case 3 -> option(OPT_STARTTLS, new byte[0]);
            case 4 -> option(rnd.nextInt(64), random(rnd, rnd.nextInt(40)));
            case 5 -> option(OPT_GO, NbdTestClient.infoPayload("nope"));
            case 6 -> option(OPT_EXPORT_NAME, "fuzz".getBytes(StandardCharsets.UTF_8));
            case 7 -> option(OPT_ABORT, new byte[0]);
            default -> random(rnd, 1 + rnd.nextInt(64));
        };
    }

    static byte[] request(Random rnd) {
        int type = switch (rnd.nextInt(10)) {
            case 7 -> CMD_BLOCK_STATUS;
            case 8 -> CMD_CACHE;
            case 0, 1 -> CMD_READ;
            case 2, 3 -> CMD_WRITE;
            case 4 -> CMD_FLUSH;
            case 5 -> CMD_TRIM;
            case 6 -> CMD_WRITE_ZEROES;
            default -> rnd.nextInt(16);
        };
        int length = 512 * (1 + rnd.nextInt(8));
        long offset = 512L * rnd.nextInt(2100); // sometimes past the 1 MiB end
        int payload = type == CMD_WRITE ? length : 0;
        ByteBuffer b = ByteBuffer.allocate(28 + payload);
        b.putInt(REQUEST_MAGIC).putShort((short) (rnd.nextInt(5) == 0 ? rnd.nextInt(64) : 0)).putShort((short) type)
                .putLong(rnd.nextLong()).putLong(offset).putInt(type == CMD_FLUSH ? 0 : length);
        b.put(random(rnd, payload));
        return b.array();
    }

    /** Sends most messages intact and mutates the rest: bit flips, random bytes, truncation, growth. */
    static byte[] mutate(byte[] msg, Random rnd) {
        int kind = rnd.nextInt(10);
        if (kind < 5) {
            return msg;
        }
        byte[] m = msg.clone();
        switch (kind) {
            case 5, 6 -> {
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) {
                    m[rnd.nextInt(m.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 7 -> m[rnd.nextInt(m.length)] = (byte) rnd.nextInt();
            case 8 -> m = java.util.Arrays.copyOf(m, rnd.nextInt(m.length));
            default -> {
                byte[] grown = java.util.Arrays.copyOf(m, m.length + 1 + rnd.nextInt(32));
                rnd.nextBytes(grown);
                System.arraycopy(m, 0, grown, 0, m.length);
                m = grown;
            }
        }
        return m;
    }

    static byte[] random(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }
}
