package io.scoria.it.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.nbd.ExportPolicy;
import io.scoria.accelerator.nbd.NbdServer;
import io.scoria.accelerator.nbd.NbdServerConfig;
import io.scoria.it.harness.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NBD_OPT_STARTTLS with real clients (libnbd's nbdinfo, qemu-io): a TLS-only export is served
 * over TLS with a certificate the clients verify, and refused in clear text; an allow-list
 * that excludes loopback refuses the client.
 */
class NbdTlsIT {
    @TempDir
    Path dir;

    @Test
    void tlsOnlyExportWithRealClients() throws Exception {
        Path pki = Files.createDirectories(dir.resolve("pki"));
        Command.run(60, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", pki.resolve("server-key.pem").toString(),
                "-out", pki.resolve("server-cert.pem").toString()).ok();
        Files.copy(pki.resolve("server-cert.pem"), pki.resolve("ca-cert.pem")); // self-signed: its own CA
        NbdServerConfig config = NbdServerConfig.loopback(0)
                .withTls(pki.resolve("server-cert.pem"), pki.resolve("server-key.pem"))
                .withExports(ExportPolicy.OPEN, Map.of(
                        "secure", new ExportPolicy(false, true, List.of()),
                        "fenced", new ExportPolicy(false, false, List.of("192.0.2.0/24"))));
        try (VolumeService service = ItVolumes.newService(dir.resolve("engine"));
             NbdServer server = new NbdServer(config, service, new SimpleMeterRegistry())) {
            service.create("secure", VolumeSpec.ofSize(64L << 20));
            service.create("fenced", VolumeSpec.ofSize(64L << 20));
            int port = server.port();
            String tlsUri = "nbds://127.0.0.1:" + port + "/secure?tls-certificates=" + pki;
            String info = Command.run(60, "nbdinfo", "--json", tlsUri).ok().output();
            assertTrue(info.contains("\"export-size\": " + (64L << 20)), info);
            assertTrue(info.contains("\"TLS\": true"), info);

            String qemu = Command.run(120, "qemu-io", "--object",
                    "tls-creds-x509,id=tls0,dir=" + pki + ",endpoint=client", "--image-opts",
                    "driver=nbd,host=127.0.0.1,port=" + port + ",export=secure,tls-creds=tls0",
                    "-c", "write -P 0x42 0 1M", "-c", "read -P 0x42 0 1M").ok().output();
            assertFalse(qemu.contains("Pattern verification failed"), qemu);

            Command plain = Command.run(60, "nbdinfo", "nbd://127.0.0.1:" + port + "/secure");
            assertNotEquals(0, plain.exitCode(), "clear text is refused: " + plain.output());
            Command fenced = Command.run(60, "nbdinfo", "nbd://127.0.0.1:" + port + "/fenced");
            assertNotEquals(0, fenced.exitCode(), "allow-list refuses loopback: " + fenced.output());
        }
    }

    /**
     * Client certificates as host identities, with real clients: qemu-io presenting {@code host-a}'s
     * certificate may use the export that names it; presenting {@code host-b}'s, or none, it may not.
     */
    @Test
    void clientCertificatesIdentifyHostsToRealClients() throws Exception {
        Path pki = TestPki.create(dir.resolve("pki-ids"), List.of("host-a", "host-b"));
        NbdServerConfig config = NbdServerConfig.loopback(0)
                .withTls(pki.resolve("server-cert.pem"), pki.resolve("server-key.pem"))
                .withClientCa(pki.resolve("ca-cert.pem"))
                .withExports(ExportPolicy.OPEN, Map.of("hosta", new ExportPolicy(false, false, List.of(),
                        List.of("host-a"))));
        try (VolumeService service = ItVolumes.newService(dir.resolve("engine-ids"));
             NbdServer server = new NbdServer(config, service, new SimpleMeterRegistry())) {
            service.create("hosta", VolumeSpec.ofSize(64L << 20));
            int port = server.port();
            String qemu = qemuIo(TestPki.clientDir(pki, "host-a"), port, "hosta").ok().output();
            assertFalse(qemu.contains("Pattern verification failed"), qemu);
            Command other = qemuIo(TestPki.clientDir(pki, "host-b"), port, "hosta");
            assertNotEquals(0, other.exitCode(), "another host's certificate is refused: " + other.output());
            Path none = Files.createDirectories(pki.resolve("none"));
            Files.copy(pki.resolve("ca-cert.pem"), none.resolve("ca-cert.pem"));
            Command anonymous = Command.run(60, "nbdinfo", "nbds://127.0.0.1:" + port + "/hosta?tls-certificates=" + none);
            assertNotEquals(0, anonymous.exitCode(), "TLS without a certificate is refused: " + anonymous.output());
        }
    }

    private static Command qemuIo(Path creds, int port, String export) throws Exception {
        return Command.run(120, "qemu-io", "--object", "tls-creds-x509,id=tls0,dir=" + creds + ",endpoint=client",
                "--image-opts", "driver=nbd,host=127.0.0.1,port=" + port + ",export=" + export + ",tls-creds=tls0",
                "-c", "write -P 0x5a 0 1M", "-c", "read -P 0x5a 0 1M");
    }
}
