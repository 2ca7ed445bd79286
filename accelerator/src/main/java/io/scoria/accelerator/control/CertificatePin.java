package io.scoria.accelerator.control;

import io.scoria.accelerator.frontend.Client;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/**
 * One X.509 client certificate a host proves itself with: the SHA-256 of its DER encoding (what a
 * connection's certificate is compared with) and its subject (for people). Immutable.
 */
public record CertificatePin(String sha256, String subject) {
    public CertificatePin {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("certificate fingerprint must be 64 lower-case hex digits (SHA-256)");
        }
    }

    /** The pin of the first certificate in {@code pem} (PEM text); a bad text is an IllegalArgumentException. */
    public static CertificatePin parse(String pem) {
        if (pem == null || !pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException("certificate: expected a PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        try {
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            return new CertificatePin(Client.certificateSha256(c), c.getSubjectX500Principal().getName());
        } catch (CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("certificate: not a valid X.509 certificate: " + e.getMessage(), e);
        }
    }
}
