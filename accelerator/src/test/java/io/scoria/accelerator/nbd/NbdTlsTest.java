package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

class NbdTlsTest {

    /** A self-signed certificate and PKCS#8 key made by the openssl CLI. */
    static Path[] selfSigned(Path dir) throws Exception {
        Path cert = dir.resolve("server-cert.pem");
        Path key = dir.resolve("server-key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return new Path[]{cert, key};
    }

    @Test
    void startTlsThenGoOnATlsOnlyExport(@TempDir Path dir) throws Exception {
        Path[] pem = selfSigned(dir);
        ExportPolicy secure = new ExportPolicy(false, true, List.of());
        NbdServerConfig config = NbdServerConfig.loopback(0).withTls(pem[0], pem[1])
                .withExports(ExportPolicy.OPEN, Map.of("secure", secure));
        try (InMemoryVolumeService service = new InMemoryVolumeService();
             NbdServer server = new NbdServer(config, service, new SimpleMeterRegistry())) {
            service.create("secure", VolumeSpec.ofSize(4 << 20));
            service.create("plain", VolumeSpec.ofSize(4 << 20));
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ERR_TLS_REQD, c.go("secure"));
                assertEquals(REP_ACK, c.startTls());
                assertEquals(REP_ERR_INVALID, c.option(OPT_STARTTLS, new byte[0]).get(0).type(), "TLS twice");
                assertTrue(c.negotiateStructuredReplies());
                assertEquals(REP_ACK, c.go("secure"));
                byte[] data = NbdServerTest.pattern(300_000, 11);
                assertEquals(0, c.write(777, data, CMD_FLAG_FUA));
                assertArrayEquals(data, c.read(777, data.length));
            }
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                c.sendOption(OPT_EXPORT_NAME, "secure".getBytes());
                assertTrue(c.closedByServer(), "EXPORT_NAME without TLS on a TLS-only export closes");
            }
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ACK, c.go("plain"), "exports without the requirement work in clear text");
                assertEquals(0, c.write(0, new byte[]{1, 2, 3}, 0));
            }
        }
    }

    @Test
    void requiringTlsWithoutACertificateIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> NbdServerConfig.loopback(0)
                .withExports(new ExportPolicy(false, true, List.of()), Map.of()));
        assertTrue(e.getMessage().contains("tlsCertificate"));
    }
}
