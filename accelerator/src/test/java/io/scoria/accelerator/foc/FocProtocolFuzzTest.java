package io.scoria.accelerator.foc;

import io.netty.buffer.PooledByteBufAllocator;
import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random and mutated FOC protocol messages against a real server on loopback: it never dies,
 * answers or closes every connection, keeps a legitimate volume's entries intact and its memory
 * bounded. Seeded ({@code -Dscoria.fuzz.seed}, {@code -Dscoria.fuzz.messages}); the seed is in
 * every failure message.
 *
 * <p>Part one: a server without a secret (loopback), fuzz traffic on other volumes than the
 * legitimate one (without a secret any local peer may legally drop any volume). Part two: a server
 * with a secret, fuzz traffic aimed at the legitimate volume by peers without it: all refused.
 */
class FocProtocolFuzzTest {
    static final int CS = 4096;
    static final long SEED = Long.getLong("scoria.fuzz.seed", 0x5C0F1AL);
    static final int MESSAGES = Integer.getInteger("scoria.fuzz.messages", 100_000);
    static final String LEGIT = "legit";
    static final String[] FUZZ_VOLUMES = {"f0", "f1", "f2", "f3"};

    @TempDir
    Path dir;

    @Test
    void randomAndMutatedMessagesNeverHurtTheServerOrALegitimateVolume() throws Exception {
        Random rnd = new Random(SEED);
        String seed = "seed 0x" + Long.toHexString(SEED);
        try (FocServer server = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("open"))) {
            int port = server.localAddress().getPort();
            Map<Long, byte[]> expected = writeLegit(port, null);
            long direct0 = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            long heap0 = usedHeap();
            int sent = 0;
            int connections = 0;
            while (sent < MESSAGES) {
                sent += session(rnd, port, false, seed + ", connection " + connections);
                connections++;
            }
            assertLegitIntact(port, null, expected, seed);
            long directGrowth = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - direct0;
            long heapGrowth = usedHeap() - heap0;
            assertTrue(directGrowth < (64L << 20), seed + ": direct memory grew by " + directGrowth);
            assertTrue(heapGrowth < (128L << 20), seed + ": heap grew by " + heapGrowth);
        }
        Path secretFile = dir.resolve("s");
        java.nio.file.Files.writeString(secretFile, "fuzz-secret-of-enough-length");
        FocSecret secret = FocSecret.readFile(secretFile);
        try (FocServer server = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("auth"), secret)) {
            int port = server.localAddress().getPort();
            Map<Long, byte[]> expected = writeLegit(port, secret);
            int sent = 0;
            int connections = 0;
            while (sent < MESSAGES / 10) {
                sent += session(rnd, port, true, seed + ", authenticated server, connection " + connections);
                connections++;
            }
            assertLegitIntact(port, secret, expected, seed);
        }
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        System.gc();
        return r.totalMemory() - r.freeMemory();
    }

    private static FocClientConfig config(int port, FocSecret secret) {
        return FocClientConfig.of("127.0.0.1:" + port, LEGIT, CS, OwnerEpochs.CLAIM)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofMillis(200))
                .withSecret(secret);
    }

    private static Map<Long, byte[]> writeLegit(int port, FocSecret secret) {
        Map<Long, byte[]> m = new HashMap<>();
        try (FocClient c = new FocClient(config(port, secret))) {
            for (int i = 0; i < 64; i++) {
                byte[] b = new byte[CS];
                new Random(i).nextBytes(b);
                c.append(i, ScoTags.FLOOR + i / 32, i % 32, 1, ByteBuffer.wrap(b));
                m.put((long) i, b);
            }
            c.flush();
        }
        return m;
    }

    private static void assertLegitIntact(int port, FocSecret secret, Map<Long, byte[]> expected, String seed) {
        Map<Long, byte[]> got = new HashMap<>();
        try (FocClient c = new FocClient(config(port, secret))) {
            long n = c.replay((lba, tag, off, ver, cluster) -> {
                byte[] b = new byte[CS];
                cluster.get(b);
                got.put(lba, b);
            });
            assertEquals(expected.size(), n, seed + ": entries of the legitimate volume");
        }
        for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), got.get(e.getKey()), seed + ": lba " + e.getKey());
        }
    }

    /** One connection: a script of messages written at once; the server must answer or close. Returns the count. */
    private static int session(Random rnd, int port, boolean authServer, String where) throws IOException {
        ByteArrayOutputStream script = new ByteArrayOutputStream();
        int n = 0;
        if (rnd.nextInt(10) < 8) {
            script.writeBytes(seal(hello(rnd.nextBoolean()), rnd.nextInt(20) != 0));
            n++;
            if (rnd.nextInt(10) < 8) {
                String volume = authServer ? LEGIT : FUZZ_VOLUMES[rnd.nextInt(FUZZ_VOLUMES.length)];
                long epoch = rnd.nextInt(4) == 0 ? rnd.nextInt(6) : OwnerEpochs.CLAIM;
                script.writeBytes(seal(frame(FocProtocol.REGISTER, 1, RawPeer.register(epoch, CS, volume)), true));
                n++;
            }
        }
        int more = 1 + rnd.nextInt(40);
        for (int i = 0; i < more; i++) {
            byte[] f = randomFrame(rnd, 2 + i);
            if (rnd.nextInt(4) == 0) {
                f = mutate(rnd, f);
            }
            script.writeBytes(seal(f, rnd.nextInt(10) != 0));
            n++;
        }
        if (rnd.nextInt(20) == 0) {
            byte[] junk = new byte[rnd.nextInt(64)];
            rnd.nextBytes(junk);
            script.writeBytes(junk);
            n++;
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            try {
                s.getOutputStream().write(script.toByteArray());
                s.shutdownOutput();
            } catch (SocketException e) {
                return n; // the server closed while the script was being written
            }
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1 << 16];
            try {
                while (in.read(buf) >= 0) {
                    // drain replies until the server closes
                }
            } catch (SocketException e) {
                // reset by the server: closed
            } catch (SocketTimeoutException e) {
                throw new AssertionError(where + ": the server neither answered nor closed within 20 s");
            }
        }
        return n;
    }

    private static byte[] hello(boolean claimSecret) {
        ByteBuffer p = ByteBuffer.allocate(4 + 2 + 1 + 16);
        p.putInt(FocProtocol.MAGIC).putShort(FocProtocol.VERSION).put((byte) (claimSecret ? 1 : 0));
        return frame(FocProtocol.HELLO, 0, p.array());
    }

    private static byte[] frame(byte op, long id, byte[] payload) {
        return ByteBuffer.allocate(9 + payload.length).put(op).putLong(id).put(payload).array();
    }

    private static byte[] randomFrame(Random rnd, long id) {
        int pick = rnd.nextInt(1000);
        if (pick < 600) {
            int count = rnd.nextInt(3);
            ByteBuffer p = ByteBuffer.allocate(4 + count * (24 + CS));
            p.putInt(count);
            for (int e = 0; e < count; e++) {
                p.putLong(rnd.nextInt(1 << 20)).putLong(ScoTags.FLOOR + rnd.nextInt(8) - 2)
                        .putInt(rnd.nextInt(1024)).putInt(rnd.nextInt(3));
                p.position(p.position() + CS);
            }
            return frame(FocProtocol.ADD_ENTRIES, id, p.array());
        }
        if (pick < 605) {
            return frame(FocProtocol.FLUSH, id, new byte[0]);
        }
        if (pick < 610) {
            return frame(FocProtocol.REMOVE_UP_TO, id,
                    ByteBuffer.allocate(8).putLong(ScoTags.FLOOR + rnd.nextInt(8) - 4).array());
        }
        if (pick < 615) {
            return frame(FocProtocol.UNREGISTER, id, new byte[0]);
        }
        if (pick < 640) {
            return frame(FocProtocol.GET_ENTRIES, id, new byte[0]);
        }
        if (pick < 700) {
            String v = FUZZ_VOLUMES[rnd.nextInt(FUZZ_VOLUMES.length)];
            return frame(FocProtocol.REGISTER, id, RawPeer.register(rnd.nextInt(8), rnd.nextBoolean() ? CS : 8192, v));
        }
        if (pick < 720) {
            return hello(rnd.nextBoolean());
        }
        byte[] payload = new byte[rnd.nextInt(64)];
        rnd.nextBytes(payload);
        return frame((byte) rnd.nextInt(256), rnd.nextLong(), payload);
    }

    /** Flips, truncates, extends or overwrites a frame body (opcode..payload); volume ids are left alone. */
    private static byte[] mutate(Random rnd, byte[] f) {
        byte[] m = f.clone();
        switch (rnd.nextInt(5)) {
            case 0 -> m[rnd.nextInt(Math.min(m.length, 40))] ^= (byte) (1 << rnd.nextInt(8));
            case 1 -> m = Arrays.copyOf(m, Math.max(1, rnd.nextInt(m.length + 1)));
            case 2 -> {
                m = Arrays.copyOf(m, m.length + 1 + rnd.nextInt(16));
                m[m.length - 1] = (byte) rnd.nextInt();
            }
            case 3 -> {
                int at = Math.min(m.length - 1, 9 + rnd.nextInt(8));
                if (at >= 9 && m[0] != FocProtocol.REGISTER) {
                    ByteBuffer.wrap(m).putInt(Math.min(at, m.length - 4), rnd.nextInt());
                }
            }
            default -> m[0] = (byte) rnd.nextInt(256);
        }
        return m;
    }

    /** Length field + body + CRC32C (or a wrong CRC). */
    private static byte[] seal(byte[] body, boolean goodCrc) {
        CRC32C c = new CRC32C();
        c.update(body);
        int crc = (int) c.getValue();
        return ByteBuffer.allocate(4 + body.length + 4).putInt(body.length + 4).put(body)
                .putInt(goodCrc ? crc : ~crc).array();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
