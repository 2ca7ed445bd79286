package io.scoria.accelerator.foc;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Mutual TLS between FOC clients (routers) and FOC servers: each side presents its node's certificate
 * and accepts only a peer whose certificate the cluster's CA signed (TLS 1.3). So the FOC traffic is
 * encrypted, and a process without a certificate of the cluster's CA cannot connect at all, let alone
 * read, add, drop or fence a volume's entries. Peers are addressed by IP, so host names are not checked:
 * the CA signs only the cluster's nodes. The HMAC of the shared secret ({@link FocSecret}) may stay on
 * top. Immutable; the contexts are built (and the files read) once, at construction.
 *
 * @param certificate this node's certificate chain (PEM)
 * @param key         its private key (PEM, PKCS#8)
 * @param ca          the cluster CA's certificate(s) (PEM): the only issuer accepted for peers
 */
public record FocTls(Path certificate, Path key, Path ca, SslContext server, SslContext client) {
    private static final String[] PROTOCOLS = {"TLSv1.3"};

    /**
     * Loads the three PEM files.
     *
     * @throws IllegalArgumentException naming the file that is missing or cannot be used
     */
    public static FocTls load(Path certificate, Path key, Path ca) {
        for (var f : new Object[][] {{"certificate", certificate}, {"key", key}, {"ca", ca}}) {
            Path p = (Path) f[1];
            if (p == null || !Files.isReadable(p)) {
                throw new IllegalArgumentException("FOC TLS " + f[0] + ": cannot read " + p);
            }
        }
        try {
            SslContext server = SslContextBuilder.forServer(certificate.toFile(), key.toFile())
                    .trustManager(ca.toFile()).clientAuth(ClientAuth.REQUIRE).protocols(PROTOCOLS).build();
            // no host name check (Netty 4.2 checks it by default): nodes are reached by address, and the CA
            // signs nothing but the cluster's nodes
            SslContext client = SslContextBuilder.forClient().keyManager(certificate.toFile(), key.toFile())
                    .trustManager(ca.toFile()).protocols(PROTOCOLS).endpointIdentificationAlgorithm(null).build();
            return new FocTls(certificate, key, ca, server, client);
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException("FOC TLS: cannot use certificate " + certificate + ", key " + key
                    + " and CA " + ca + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "FocTls[certificate=" + certificate + ", ca=" + ca + "]";
    }
}
