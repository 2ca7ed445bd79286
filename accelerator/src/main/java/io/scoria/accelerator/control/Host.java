package io.scoria.accelerator.control;

import io.scoria.accelerator.frontend.Cidr;
import io.scoria.accelerator.frontend.Client;
import io.scoria.backend.config.Secret;

import java.util.Objects;

/**
 * A host volumes are attached to, and how it proves who it is. Over NBD by exactly one of: a pinned
 * TLS client certificate ({@code certificate}: its SHA-256 must match the connection's verified
 * certificate), a certificate identity (a subject CN or DNS name of a verified client certificate)
 * or an address block. Over iSCSI by its initiator name ({@code iqn}; also within {@code address} if
 * the host has one), and by CHAP if it has {@code chapSecret}. A host belongs to one {@link Project}; only
 * volumes of that project are attached to it. Immutable and validated; the record's {@code toString} never
 * shows the CHAP secret.
 */
public record Host(String name, CertificatePin certificate, String certificateIdentity, String address, String iqn,
                   Secret chapSecret, String project) {
    /** Host names: what volume names allow. */
    public static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    private static final String IQN_PATTERN = "(iqn\\.\\d{4}-\\d{2}\\.[a-z0-9.-]+(:[^\\s]+)?|eui\\.[0-9A-Fa-f]{16}|naa\\.[0-9A-Fa-f]{16,32})";

    public Host {
        Objects.requireNonNull(name, "name");
        project = Project.orDefault(project);
        if (!name.matches(NAME_PATTERN)) {
            throw new IllegalArgumentException("host name '" + name + "' must match " + NAME_PATTERN);
        }
        int ways = (certificate != null ? 1 : 0) + (certificateIdentity != null ? 1 : 0) + (address != null ? 1 : 0);
        if (ways != 1) {
            throw new IllegalArgumentException("host " + name + ": give exactly one of certificate, certificateIdentity "
                    + "and address (" + ways + " given)");
        }
        if (certificateIdentity != null && (certificateIdentity.isBlank() || certificateIdentity.length() > 255)) {
            throw new IllegalArgumentException("host " + name + ": certificateIdentity must be 1-255 characters");
        }
        if (address != null) {
            Cidr.parse("host " + name + ": address", address);
        }
        if (iqn != null && (iqn.length() > 223 || !iqn.matches(IQN_PATTERN))) {
            throw new IllegalArgumentException("host " + name + ": iqn '" + iqn
                    + "' is not an iSCSI name (iqn.YYYY-MM.domain[:id], eui.<16 hex>, naa.<hex>)");
        }
        if (chapSecret != null) {
            if (iqn == null) {
                throw new IllegalArgumentException("host " + name + ": a CHAP secret needs an iqn (CHAP is iSCSI's)");
            }
            int n = chapSecret.reveal().length();
            if (n < 12 || n > 255) {
                throw new IllegalArgumentException("host " + name + ": the CHAP secret must be 12-255 characters long");
            }
        }
    }

    /** A host of project {@link Project#DEFAULT}. */
    public Host(String name, CertificatePin certificate, String certificateIdentity, String address, String iqn,
                Secret chapSecret) {
        this(name, certificate, certificateIdentity, address, iqn, chapSecret, Project.DEFAULT);
    }

    /** True if this host proves itself over NBD with a TLS client certificate. */
    public boolean byCertificate() {
        return certificate != null || certificateIdentity != null;
    }

    /** True if {@code client} (NBD or iSCSI) is this host. */
    boolean matches(Client client) {
        if (client.initiator() != null) {
            return iqn != null && iqn.equalsIgnoreCase(client.initiator())
                    && (address == null || Cidr.parse("address", address).contains(client.address()));
        }
        if (certificate != null) {
            return client.tls() && certificate.sha256().equals(client.certificateSha256());
        }
        if (certificateIdentity != null) {
            return client.tls() && client.certificateNames().contains(certificateIdentity);
        }
        return Cidr.parse("address", address).contains(client.address());
    }
}
