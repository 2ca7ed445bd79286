package io.scoria.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A test certificate authority made with {@code openssl} in a directory: {@code ca-cert.pem}, a server
 * certificate for 127.0.0.1 ({@code server-cert.pem}, {@code server-key.pem}) and TLS client
 * certificates of hosts ({@code NAME-cert.pem}, {@code NAME-key.pem}, subject CN=NAME), and the
 * directories QEMU's {@code tls-creds-x509} reads.
 */
public final class TestPki {
    private TestPki() {
    }

    /** A CA in {@code dir} with a server certificate and one client certificate per name in {@code hosts}. */
    public static Path create(Path dir, List<String> hosts) throws Exception {
        Path pki = Files.createDirectories(dir);
        openssl(pki, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
                "-keyout", "ca-key.pem", "-out", "ca-cert.pem");
        List<String> names = new ArrayList<>(List.of("server"));
        names.addAll(hosts);
        for (String name : names) {
            openssl(pki, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + "-key.pem",
                    "-out", name + ".csr");
            Path ext = pki.resolve(name + ".ext");
            Files.writeString(ext, name.equals("server") ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    : "extendedKeyUsage=clientAuth\n");
            openssl(pki, "x509", "-req", "-in", name + ".csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem",
                    "-CAcreateserial", "-days", "2", "-extfile", ext.toString(), "-out", name + "-cert.pem");
        }
        return pki;
    }

    /** A directory laid out as QEMU's tls-creds-x509 (and nbdinfo's tls-certificates) reads it for {@code host}. */
    public static Path clientDir(Path pki, String host) throws Exception {
        Path d = Files.createDirectories(pki.resolve("client-" + host));
        Files.copy(pki.resolve("ca-cert.pem"), d.resolve("ca-cert.pem"), REPLACE_EXISTING);
        Files.copy(pki.resolve(host + "-cert.pem"), d.resolve("client-cert.pem"), REPLACE_EXISTING);
        Files.copy(pki.resolve(host + "-key.pem"), d.resolve("client-key.pem"), REPLACE_EXISTING);
        return d;
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }
}
