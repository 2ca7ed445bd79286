package io.scoria.accelerator.nbd;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import io.scoria.accelerator.frontend.Client;

import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The names a connected host proved with its TLS client certificate: the subject's common names
 * and the certificate's DNS subject alternative names. Only certificates that verified against the
 * server's {@code tlsClientCa} reach here (the TLS handshake refuses others).
 */
final class PeerIdentity {
    private static final int SAN_DNS = 2;

    private PeerIdentity() {
    }

    /** Lower-case hex SHA-256 of the connection's verified client certificate; null without TLS or certificate. */
    static String sha256(ChannelHandlerContext ctx) {
        X509Certificate leaf = leaf(ctx);
        if (leaf == null) {
            return null;
        }
        try {
            return Client.certificateSha256(leaf);
        } catch (CertificateEncodingException e) {
            return null;
        }
    }

    private static X509Certificate leaf(ChannelHandlerContext ctx) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls == null) {
            return null;
        }
        try {
            Certificate[] chain = tls.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? leaf : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** The names of the connection's verified client certificate; empty without TLS or certificate. */
    static List<String> of(ChannelHandlerContext ctx) {
        X509Certificate leaf = leaf(ctx);
        if (leaf == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if ("CN".equalsIgnoreCase(rdn.getType())) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
            Collection<List<?>> alternatives = leaf.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> san : alternatives) {
                    if (san.size() == 2 && Integer.valueOf(SAN_DNS).equals(san.get(0))) {
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (InvalidNameException | CertificateParsingException e) {
            return List.of();
        }
        return List.copyOf(names);
    }
}
