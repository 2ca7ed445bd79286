package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

/** Who may use which export, decided before any volume is looked up; what a client may see. */
class NbdAdmissionTest {

    /** Counts the volume opens, so a test can tell that a refused client made the router open nothing. */
    static final class CountingService implements VolumeService {
        final InMemoryVolumeService inner = new InMemoryVolumeService();
        final AtomicInteger opens = new AtomicInteger();

        @Override public VolumeInfo create(String name, VolumeSpec spec, String project) { return inner.create(name, spec, project); }
        @Override public List<VolumeInfo> list() { return inner.list(); }
        @Override public Optional<VolumeInfo> info(String name) { return inner.info(name); }
        @Override public Volume open(String name) { opens.incrementAndGet(); return inner.open(name); }
        @Override public void delete(String name) { inner.delete(name); }
        @Override public VolumeInfo makeTemplate(String name) { return inner.makeTemplate(name); }
        @Override public VolumeInfo clone(String p, String s, String c, String project) { return inner.clone(p, s, c, project); }
        @Override public VolumeInfo resetToParent(String clone) { return inner.resetToParent(clone); }
        @Override public Volume openSnapshot(String v, String s) { opens.incrementAndGet(); return inner.openSnapshot(v, s); }
        @Override public VolumeInfo resize(String name, long size, boolean force) { return inner.resize(name, size, force); }
        @Override public io.scoria.accelerator.ChangedRanges changes(String v, String f, String t, long s, long l, int n) {
            return inner.changes(v, f, t, s, l, n);
        }
        @Override public void close() { inner.close(); }
    }

    @Test
    void aRefusedClientOpensNoVolumeAndLearnsNotWhetherItExists() throws Exception {
        ExportPolicy elsewhere = new ExportPolicy(false, false, List.of("192.0.2.0/24"));
        try (CountingService service = new CountingService();
             NbdServer server = new NbdServer(NbdServerConfig.loopback(0).withExports(elsewhere, Map.of()), service,
                     new SimpleMeterRegistry())) {
            service.create("vm", VolumeSpec.ofSize(1 << 20));
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ERR_POLICY, c.go("vm"));
                assertEquals(REP_ERR_POLICY, c.go("no-such-volume"), "same answer whether the volume exists or not");
                assertEquals(REP_ERR_POLICY, c.option(OPT_INFO, NbdTestClient.infoPayload("vm")).get(0).type());
                List<NbdTestClient.OptionReply> list = c.option(OPT_LIST, new byte[0]);
                assertEquals(1, list.size(), "LIST names no export this client may not use");
                assertEquals(REP_ACK, list.get(0).type());
            }
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                c.sendOption(OPT_EXPORT_NAME, "vm".getBytes(StandardCharsets.UTF_8));
                assertTrue(c.closedByServer());
            }
            assertEquals(0, service.opens.get(), "no volume was opened for refused clients");
        }
    }

    @Test
    void listHidesTlsOnlyExportsFromClearTextClients(@TempDir Path dir) throws Exception {
        Path[] pem = NbdTlsTest.selfSigned(dir);
        NbdServerConfig config = NbdServerConfig.loopback(0).withTls(pem[0], pem[1])
                .withExports(ExportPolicy.OPEN, Map.of("secret", new ExportPolicy(false, true, List.of())));
        try (InMemoryVolumeService service = new InMemoryVolumeService();
             NbdServer server = new NbdServer(config, service, new SimpleMeterRegistry())) {
            service.create("secret", VolumeSpec.ofSize(1 << 20));
            service.create("open", VolumeSpec.ofSize(1 << 20));
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(List.of("open"), listed(c));
                assertEquals(REP_ACK, c.startTls());
                assertEquals(List.of("open", "secret"), listed(c));
            }
        }
    }

    @Test
    void clearTextSentAfterStartTlsIsDiscarded(@TempDir Path dir) throws Exception {
        Path[] pem = NbdTlsTest.selfSigned(dir);
        NbdServerConfig config = NbdServerConfig.loopback(0).withTls(pem[0], pem[1]);
        try (InMemoryVolumeService service = new InMemoryVolumeService();
             NbdServer server = new NbdServer(config, service, new SimpleMeterRegistry())) {
            service.create("vm", VolumeSpec.ofSize(1 << 20));
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                // STARTTLS and an injected GO in one segment, as a man in the middle would append it
                byte[] startTls = NbdFuzzTest.option(OPT_STARTTLS, new byte[0]);
                byte[] go = NbdFuzzTest.option(OPT_GO, NbdTestClient.infoPayload("vm"));
                byte[] both = new byte[startTls.length + go.length];
                System.arraycopy(startTls, 0, both, 0, startTls.length);
                System.arraycopy(go, 0, both, startTls.length, go.length);
                c.rawWrite(both);
                assertEquals(REP_ACK, c.readOptionReply().type());
                c.handshake(null); // fails if the server answered the clear-text GO instead
                assertEquals(REP_ACK, c.go("vm"), "the real GO, sent over TLS");
                assertEquals(0, c.write(0, new byte[]{7, 7, 7}, CMD_FLAG_FUA));
            }
        }
    }

    @Test
    void clientCertificatesIdentifyHosts(@TempDir Path dir) throws Exception {
        Path[] pem = NbdTlsTest.selfSigned(dir);
        Path ca = Certificates.authority(dir);
        KeyManager[] hostA = Certificates.client(dir, ca, "host-a");
        KeyManager[] hostB = Certificates.client(dir, ca, "host-b");
        ExportPolicy onlyA = new ExportPolicy(false, false, List.of(), List.of("host-a"));
        NbdServerConfig config = NbdServerConfig.loopback(0).withTls(pem[0], pem[1])
                .withClientCa(dir.resolve("ca.pem")).withExports(ExportPolicy.OPEN, Map.of("a", onlyA));
        try (CountingService service = new CountingService();
             NbdServer server = new NbdServer(config, service, new SimpleMeterRegistry())) {
            service.create("a", VolumeSpec.ofSize(1 << 20));
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ERR_TLS_REQD, c.go("a"), "identities imply TLS");
            }
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ACK, c.startTls(null));
                assertEquals(REP_ERR_POLICY, c.go("a"), "TLS without a client certificate");
            }
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ACK, c.startTls(hostB));
                assertEquals(List.of(), listed(c));
                assertEquals(REP_ERR_POLICY, c.go("a"), "another host's certificate");
            }
            assertEquals(0, service.opens.get());
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ACK, c.startTls(hostA));
                assertEquals(List.of("a"), listed(c));
                assertEquals(REP_ACK, c.go("a"));
                assertEquals(0, c.write(0, new byte[]{1}, CMD_FLAG_FUA));
            }
        }
    }

    @Test
    void identitiesNeedAClientCa(@TempDir Path dir) throws Exception {
        Path[] pem = NbdTlsTest.selfSigned(dir);
        var e = assertThrows(IllegalArgumentException.class, () -> NbdServerConfig.loopback(0).withTls(pem[0], pem[1])
                .withExports(new ExportPolicy(false, false, List.of(), List.of("host-a")), Map.of()));
        assertTrue(e.getMessage().contains("tlsClientCa"), e.getMessage());
    }

    @Test
    void connectionCapsPerNodeAndPerExport() throws Exception {
        NbdServerConfig config = NbdServerConfig.loopback(0).withLimits(NbdLimits.DEFAULTS.withConnections(3, 1));
        try (InMemoryVolumeService service = new InMemoryVolumeService();
             NbdServer server = new NbdServer(config, service, new SimpleMeterRegistry())) {
            service.create("vm", VolumeSpec.ofSize(1 << 20));
            service.create("other", VolumeSpec.ofSize(1 << 20));
            try (NbdTestClient first = new NbdTestClient("127.0.0.1", server.port());
                 NbdTestClient second = new NbdTestClient("127.0.0.1", server.port());
                 NbdTestClient third = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ACK, first.go("vm"));
                assertEquals(REP_ERR_POLICY, second.go("vm"), "one connection per export");
                assertEquals(REP_ACK, second.go("other"));
                assertEquals(REP_ACK, third.option(OPT_LIST, new byte[0]).get(2).type());
                assertThrows(java.io.IOException.class, () -> {
                    try (NbdTestClient fourth = new NbdTestClient("127.0.0.1", server.port())) {
                        fourth.option(OPT_LIST, new byte[0]);
                    }
                }, "the node's fourth connection is closed");
                first.close();
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (server.connections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            try (NbdTestClient again = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ACK, again.go("vm"), "a closed connection gives its slots back");
            }
        }
    }

    private static List<String> listed(NbdTestClient c) throws Exception {
        List<String> names = new ArrayList<>();
        for (NbdTestClient.OptionReply r : c.option(OPT_LIST, new byte[0])) {
            if (r.type() == REP_SERVER) {
                names.add(new String(r.data(), 4, r.data().length - 4, StandardCharsets.UTF_8));
            }
        }
        names.sort(null);
        return names;
    }

    /** A test CA and client certificates it signs, made by the openssl CLI. */
    static final class Certificates {
        static Path authority(Path dir) throws Exception {
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=scoria-test-ca",
                    "-keyout", "ca.key", "-out", "ca.pem");
            return dir.resolve("ca.pem");
        }

        static KeyManager[] client(Path dir, Path ca, String host) throws Exception {
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + host, "-keyout", host + ".key",
                    "-out", host + ".csr");
            openssl(dir, "x509", "-req", "-in", host + ".csr", "-CA", ca.getFileName().toString(), "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "2", "-out", host + ".pem");
            openssl(dir, "pkcs12", "-export", "-in", host + ".pem", "-inkey", host + ".key", "-out", host + ".p12",
                    "-passout", "pass:test");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(dir.resolve(host + ".p12"))) {
                ks.load(in, "test".toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "test".toCharArray());
            return kmf.getKeyManagers();
        }

        private static void openssl(Path dir, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("openssl"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
        }
    }
}
