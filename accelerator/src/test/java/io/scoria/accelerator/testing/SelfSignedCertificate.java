package io.scoria.accelerator.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed EC certificate for {@code localhost} and {@code 127.0.0.1}, made by the JDK's
 * {@code keytool} and written as PEM files (certificate, PKCS#8 key) into a directory.
 */
public record SelfSignedCertificate(Path certificate, Path privateKey) {
    private static final String PASSWORD = "changeit";

    /** Generates one under {@code dir}. */
    public static SelfSignedCertificate generate(Path dir) throws IOException, InterruptedException, GeneralSecurityException {
        Path store = dir.resolve("api.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", store.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Key key = ks.getKey("api", PASSWORD.toCharArray());
        Path cert = Files.writeString(dir.resolve("api.crt"), pem("CERTIFICATE", ks.getCertificate("api").getEncoded()));
        Path keyFile = Files.writeString(dir.resolve("api.key"), pem("PRIVATE KEY", key.getEncoded()));
        return new SelfSignedCertificate(cert, keyFile);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
