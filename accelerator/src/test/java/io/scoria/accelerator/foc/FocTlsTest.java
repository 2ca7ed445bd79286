package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mutual TLS between FOC clients and servers ({@link FocTls}), with certificates made by the openssl CLI:
 * a client and a server of the cluster's CA work together and the bytes on the wire are not the data; a
 * client without a certificate, or with one of another CA, never registers, so it cannot read, drop or
 * fence a volume's entries; a client does not talk to a server of another CA.
 */
class FocTlsTest {
    static final int CS = 4096;
    private static final java.util.concurrent.Executor DIRECT = Runnable::run;

    @TempDir
    static Path pki;
    static FocTls node1;
    static FocTls node2;
    static FocTls rogue;

    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=scoria-cluster-ca", "-keyout", "ca.key", "-out", "ca.pem");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=other-ca", "-keyout", "other-ca.key", "-out", "other-ca.pem");
        node1 = FocTls.load(issue("node1", "ca"), pki.resolve("node1.key"), pki.resolve("ca.pem"));
        node2 = FocTls.load(issue("node2", "ca"), pki.resolve("node2.key"), pki.resolve("ca.pem"));
        rogue = FocTls.load(issue("rogue", "other-ca"), pki.resolve("rogue.key"), pki.resolve("other-ca.pem"));
    }

    /** A certificate for {@code name} signed by CA {@code ca}; its PKCS#8 key in NAME.key. */
    private static Path issue(String name, String ca) throws Exception {
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + name,
                "-keyout", name + ".key", "-out", name + ".csr");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-days", "2", "-out", name + ".pem");
        return pki.resolve(name + ".pem");
    }

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(pki.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + String.join(" ", args) + ": " + out);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private FocServer server(FocTls tls) {
        FocServer s = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("foc"), null, tls);
        toClose.add(s);
        return s;
    }

    private FocClient client(int port, long epoch, FocTls tls) {
        FocClientConfig c = FocClientConfig.of("127.0.0.1:" + port, "vol", CS, epoch)
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(20), Duration.ofMillis(200));
        FocClient client = new FocClient(c, tls);
        toClose.add(client);
        return client;
    }

    private static ByteBuffer pattern() {
        ByteBuffer b = ByteBuffer.allocate(CS);
        byte[] word = "SCORIA-PLAINTEXT".getBytes(StandardCharsets.US_ASCII);
        while (b.remaining() >= word.length) {
            b.put(word);
        }
        return b.clear();
    }

    @Test
    void nodesOfTheClusterCaMirrorOverTlsAndTheWireDoesNotCarryTheData() throws Exception {
        FocServer server = server(node2);
        try (WireRelay relay = new WireRelay(server.localAddress().getPort())) {
            FocClient c = client(relay.port(), 1, node1);
            assertEquals(FocState.OK, c.state());
            c.ackedAsync(c.append(7, 100, 0, 0, pattern()), DIRECT).get(10, TimeUnit.SECONDS);
            c.flush();
            long[] seen = new long[1];
            assertEquals(1, client(server.localAddress().getPort(), 2, node1).replay((lba, sco, off, ver, cluster) -> {
                seen[0] = lba;
                assertEquals(pattern(), cluster);
            }));
            assertEquals(7, seen[0]);
            String wire = relay.captured();
            assertTrue(wire.length() > CS, "the relay saw the traffic");
            assertFalse(wire.contains("SCORIA-PLAINTEXT"), "the data crossed the wire in clear");
        }
    }

    @Test
    void withoutTlsTheSameDataIsInClearOnTheWire() throws Exception {
        FocServer server = server(null);
        try (WireRelay relay = new WireRelay(server.localAddress().getPort())) {
            FocClient c = client(relay.port(), 1, null);
            c.ackedAsync(c.append(7, 100, 0, 0, pattern()), DIRECT).get(10, TimeUnit.SECONDS);
            assertTrue(relay.captured().contains("SCORIA-PLAINTEXT"), "control: the relay does see clear text");
        }
    }

    @Test
    void aClientWithoutACertificateOfTheClusterCaCannotRegisterNorFenceTheOwner() throws Exception {
        FocServer server = server(node2);
        int port = server.localAddress().getPort();
        FocClient owner = client(port, 5, node1);
        owner.ackedAsync(owner.append(1, 100, 0, 0, pattern()), DIRECT).get(10, TimeUnit.SECONDS);

        FocClient plain = client(port, 9, null);
        FocClient foreign = client(port, 9, rogue);
        Thread.sleep(1500); // several reconnection attempts each
        assertEquals(FocState.DEGRADED, plain.state(), "no TLS: never registered");
        assertEquals(FocState.DEGRADED, foreign.state(), "another CA's certificate: never registered");
        assertThrows(FocUnavailableException.class, () -> foreign.replay((lba, sco, off, ver, cluster) -> fail("read")));
        assertThrows(FocUnavailableException.class, foreign::unregister, "cannot drop the owner's entries");

        owner.ackedAsync(owner.append(2, 100, 0, 0, pattern()), DIRECT).get(10, TimeUnit.SECONDS);
        assertEquals(FocState.OK, owner.state(), "the owner (epoch 5) was not fenced by their epoch 9");
        assertEquals(2, client(port, 6, node1).replay((lba, sco, off, ver, cluster) -> { }));
    }

    @Test
    void aClientRefusesAServerOfAnotherCa() throws Exception {
        FocServer impostor = server(rogue);
        FocClient c = client(impostor.localAddress().getPort(), 1, node1);
        Thread.sleep(500);
        assertEquals(FocState.DEGRADED, c.state());
        assertEquals(0, impostor.volumeCount(), "nothing registered at the impostor");
    }

    @Test
    void missingFilesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FocTls.load(pki.resolve("node1.pem"), pki.resolve("nope.key"), pki.resolve("ca.pem")));
        assertTrue(e.getMessage().contains("key") && e.getMessage().contains("nope.key"), e.getMessage());
    }
}
