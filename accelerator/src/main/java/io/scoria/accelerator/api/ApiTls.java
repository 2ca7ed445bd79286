package io.scoria.accelerator.api;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.nio.file.Path;

/**
 * JDK {@link SSLContext}s of the management API built from PEM files (Netty's PEM reader, the
 * same one the NBD server's TLS uses): the server's from a certificate chain and a PKCS#8 key,
 * a client's trusting the certificates of a CA file. Stateless.
 */
public final class ApiTls {
    private ApiTls() {
    }

    /** The server context of {@code tls}. */
    public static SSLContext server(ApiServerConfig.Tls tls) {
        try {
            SslContext netty = SslContextBuilder.forServer(tls.certificate().toFile(), tls.privateKey().toFile())
                    .sslProvider(SslProvider.JDK).build();
            return ((JdkSslContext) netty).context();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("api.tls: cannot use the certificate " + tls.certificate()
                    + " with the key " + tls.privateKey() + " (PEM certificate chain and PEM PKCS#8 key expected): "
                    + e.getMessage(), e);
        }
    }

    /** A client context that trusts the PEM certificates in {@code caFile}. */
    public static SSLContext trusting(Path caFile) {
        try {
            SslContext netty = SslContextBuilder.forClient().trustManager(caFile.toFile())
                    .sslProvider(SslProvider.JDK).build();
            return ((JdkSslContext) netty).context();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--ca-file: cannot read PEM certificates from " + caFile + ": "
                    + e.getMessage(), e);
        }
    }
}
