package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FOC's shared secret: HMAC on every frame, nonces from both sides, per-direction sequence
 * numbers; a peer without the secret, or with another one, is refused with a reason before it
 * touches a volume; no secret means loopback only; the secret is never printed.
 */
class FocAuthTest {
    static final int CS = 4096;
    static final String SECRET_TEXT = "correct-horse-battery-staple-0123";

    @TempDir
    Path dir;
    FocSecret secret;
    FocServer server;
    int port;

    @BeforeEach
    void start() throws Exception {
        Path f = dir.resolve("foc.secret");
        Files.writeString(f, SECRET_TEXT + "\n");
        secret = FocSecret.readFile(f);
        server = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("foc"), secret);
        port = server.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    FocClientConfig config(String volume, FocSecret s) {
        return FocClientConfig.of("127.0.0.1:" + port, volume, CS, OwnerEpochs.CLAIM)
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(20), Duration.ofMillis(200))
                .withSecret(s);
    }

    static ByteBuffer data(int seed) {
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i += 4) {
            b.putInt(i, seed * 31 + i);
        }
        return b;
    }

    @Test
    void clientsWithTheSecretAddFlushAndReplay() {
        try (FocClient c = new FocClient(config("vol", secret))) {
            assertEquals(FocState.OK, c.state());
            for (int i = 0; i < 600; i++) {
                c.append(i, 1 + i / 256, i % 256, 1, data(i));
            }
            c.flush();
            Map<Long, byte[]> seen = new java.util.HashMap<>();
            assertEquals(600, c.replay((lba, tag, off, ver, cluster) -> {
                byte[] b = new byte[CS];
                cluster.get(b);
                seen.put(lba, b);
            }));
            assertArrayEquals(data(599).array(), seen.get(599L));
        }
    }

    @Test
    void aClientWithoutTheSecretIsRefusedBeforeTouchingAVolume() {
        FocAuthenticationException e = assertThrows(FocAuthenticationException.class,
                () -> new FocClient(config("vol", null)));
        assertTrue(e.getMessage().contains("requires the cluster's shared secret"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("foc").resolve("vol")), "no volume was created");
    }

    @Test
    void aClientWithAnotherSecretIsRefused() {
        FocSecret other = FocSecret.of("another-secret-of-enough-bytes".getBytes(StandardCharsets.UTF_8));
        FocAuthenticationException e = assertThrows(FocAuthenticationException.class,
                () -> new FocClient(config("vol", other)));
        assertTrue(e.getMessage().contains("secrets of client and server differ"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("foc").resolve("vol")));
    }

    @Test
    void aClientWithASecretRefusesAServerWithout() {
        try (FocServer open = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("open"))) {
            FocClientConfig cfg = FocClientConfig.of("127.0.0.1:" + open.localAddress().getPort(), "vol", CS, 0)
                    .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(20),
                            Duration.ofMillis(200)).withSecret(secret);
            FocAuthenticationException e = assertThrows(FocAuthenticationException.class, () -> new FocClient(cfg));
            assertTrue(e.getMessage().contains("has no shared secret"), e.getMessage());
        }
    }

    @Test
    void aForgedMacGetsAuthFailedAndTheConnectionCloses() throws Exception {
        FocSecret guess = FocSecret.of("a-guess-of-sixteen-or-more".getBytes(StandardCharsets.UTF_8));
        try (RawPeer p = new RawPeer(port)) {
            assertEquals(FocProtocol.WELCOME, p.hello(guess, true).op());
            p.send(FocProtocol.REGISTER, 1, RawPeer.register(0, CS, "vol"));
            RawPeer.Frame f = p.read();
            assertNotNull(f);
            assertEquals(FocProtocol.AUTH_FAILED, f.op());
            assertTrue(f.text().contains("fails its HMAC"), f.text());
            assertTrue(p.closedByServer());
        }
        assertFalse(Files.exists(dir.resolve("foc").resolve("vol")));
    }

    @Test
    void framesReplayedFromAnotherConnectionOrReorderedAreRefused() throws Exception {
        byte[] recordedUnregister;
        try (FocClient owner = new FocClient(config("vol", secret))) {
            owner.append(7, 1, 0, 1, data(7));
            owner.flush();
            try (RawPeer a = new RawPeer(port)) {
                a.hello(secret, true);
                a.send(FocProtocol.REGISTER, 1, RawPeer.register(0, CS, "other"));
                assertEquals(FocProtocol.OK, a.read().op());
                a.send(FocProtocol.FLUSH, 2, new byte[0]);
                assertEquals(FocProtocol.OK, a.read().op());
                recordedUnregister = a.seal(FocProtocol.UNREGISTER, 3, new byte[0]); // recorded, never sent here
            }
            try (RawPeer b = new RawPeer(port)) { // same secret, new nonces: the recorded frame does not verify
                b.hello(secret, true);
                b.send(FocProtocol.REGISTER, 1, RawPeer.register(0, CS, "vol"));
                RawPeer.Frame ok = b.read();
                assertEquals(FocProtocol.OK, ok.op());
                b.sendRaw(recordedUnregister);
                assertEquals(FocProtocol.AUTH_FAILED, b.read().op());
                assertTrue(b.closedByServer());
            }
            try (RawPeer c = new RawPeer(port)) { // in order seq 0, 1; sent as 1 first
                c.hello(secret, true);
                byte[] register = c.seal(FocProtocol.REGISTER, 1, RawPeer.register(0, CS, "vol"));
                byte[] unregister = c.seal(FocProtocol.UNREGISTER, 2, new byte[0]);
                c.sendRaw(unregister);
                c.sendRaw(register);
                assertEquals(FocProtocol.AUTH_FAILED, c.read().op());
                assertTrue(c.closedByServer());
            }
        }
        try (FocClient again = new FocClient(config("vol", secret))) {
            assertEquals(1, again.replay((lba, tag, off, ver, cluster) -> assertEquals(7, lba)),
                    "the volume's entry survived every refused frame");
        }
    }

    @Test
    void aVersionOneClientIsToldTheVersions() throws Exception {
        try (RawPeer p = new RawPeer(port)) {
            ByteBuffer reg = ByteBuffer.wrap(RawPeer.register(1, CS, "vol"));
            reg.putShort(4, (short) 1);
            p.send(FocProtocol.REGISTER, 1, reg.array());
            RawPeer.Frame f = p.read();
            assertEquals(FocProtocol.ERROR, f.op());
            assertTrue(f.text().contains("version 1") && f.text().contains("speaks 2"), f.text());
            assertTrue(p.closedByServer());
        }
    }

    @Test
    void withoutASecretTheServerOnlyListensOnLoopback() {
        FocException e = assertThrows(FocException.class,
                () -> new FocServer(new InetSocketAddress("0.0.0.0", 0), dir.resolve("any")));
        assertTrue(e.getMessage().contains("without a shared secret"), e.getMessage());
        try (FocServer all = new FocServer(new InetSocketAddress("0.0.0.0", 0), dir.resolve("any"), secret)) {
            assertTrue(all.localAddress().getPort() > 0);
        }
    }

    @Test
    void theSecretIsNeverPrinted() throws Exception {
        FocClientConfig cfg = config("vol", secret);
        assertFalse(cfg.toString().contains(SECRET_TEXT), cfg.toString());
        assertFalse(secret.toString().contains(SECRET_TEXT));
        Path shortFile = dir.resolve("short.secret");
        Files.writeString(shortFile, "tiny-secret");
        FocException e = assertThrows(FocException.class, () -> FocSecret.readFile(shortFile));
        assertFalse(e.getMessage().contains("tiny-secret"), e.getMessage());
        assertTrue(e.getMessage().contains(shortFile.toString()));
        FocSecret other = FocSecret.of("another-secret-of-enough-bytes".getBytes(StandardCharsets.UTF_8));
        FocAuthenticationException refused = assertThrows(FocAuthenticationException.class,
                () -> new FocClient(config("vol", other)));
        assertFalse(refused.getMessage().contains(SECRET_TEXT));
        assertFalse(refused.getMessage().contains("another-secret"));
    }
}
