package io.scoria.accelerator.frontend;

import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What a frontend knows of a connecting client when it decides whether it may use a volume: where it
 * connects from and, for NBD, whether it switched to TLS and the names (subject CN, DNS names) and
 * SHA-256 fingerprint of its verified client certificate; for iSCSI, the initiator name it logged in
 * with. Immutable.
 *
 * @param certificateSha256 lower-case hex SHA-256 of the client certificate (DER); null without one
 * @param initiator         the iSCSI initiator name (IQN); null for NBD
 */
public record Client(InetAddress address, boolean tls, List<String> certificateNames, String certificateSha256,
                     String initiator) {
    public Client {
        Objects.requireNonNull(address, "address");
        certificateNames = List.copyOf(Objects.requireNonNull(certificateNames, "certificateNames"));
    }

    /** An NBD client. */
    public static Client nbd(InetAddress address, boolean tls, List<String> certificateNames, String certificateSha256) {
        return new Client(address, tls, certificateNames, certificateSha256, null);
    }

    /** An iSCSI initiator. */
    public static Client iscsi(InetAddress address, String initiator) {
        return new Client(address, false, List.of(), null, Objects.requireNonNull(initiator, "initiator"));
    }

    /** Lower-case hex SHA-256 of {@code certificate}'s DER encoding (how hosts pin certificates). */
    public static String certificateSha256(X509Certificate certificate) throws CertificateEncodingException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
