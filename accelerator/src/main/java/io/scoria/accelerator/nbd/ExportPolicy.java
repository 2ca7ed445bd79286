package io.scoria.accelerator.nbd;

import io.scoria.accelerator.frontend.Cidr;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * How one export may be used: read-only, whether the client must first switch to TLS with
 * {@code NBD_OPT_STARTTLS}, which client addresses may connect (CIDR blocks or single
 * addresses; empty means everyone) and which hosts may (the subject common names or DNS names of
 * their TLS client certificates, verified against the server's {@code tlsClientCa}; empty means any
 * host; non-empty implies TLS). Immutable and validated.
 */
public record ExportPolicy(boolean readOnly, boolean tlsRequired, List<String> allowedClients,
                           List<String> allowedIdentities) {
    /** Read-write, no TLS requirement, every client allowed. */
    public static final ExportPolicy OPEN = new ExportPolicy(false, false, List.of(), List.of());

    public ExportPolicy {
        allowedClients = List.copyOf(Objects.requireNonNull(allowedClients, "allowedClients"));
        allowedIdentities = List.copyOf(Objects.requireNonNull(allowedIdentities, "allowedIdentities"));
        for (String c : allowedClients) {
            Cidr.parse("allowedClients entry", c); // validates, naming the entry
        }
        for (String id : allowedIdentities) {
            if (id.isBlank()) {
                throw new IllegalArgumentException("allowedIdentities entry is blank");
            }
        }
        tlsRequired |= !allowedIdentities.isEmpty();
    }

    /** A policy that identifies no hosts by certificate. */
    public ExportPolicy(boolean readOnly, boolean tlsRequired, List<String> allowedClients) {
        this(readOnly, tlsRequired, allowedClients, List.of());
    }

    /**
     * Why a client may not use the export, or null if it may: {@code address} is where it connects
     * from, {@code tls} whether it switched to TLS, {@code identities} the names of its verified client
     * certificate (empty without one).
     */
    public Refusal refusal(InetAddress address, boolean tls, List<String> identities) {
        if (!allows(address)) {
            return Refusal.ADDRESS;
        }
        if (tlsRequired && !tls) {
            return Refusal.TLS_REQUIRED;
        }
        if (!allowedIdentities.isEmpty() && identities.stream().noneMatch(allowedIdentities::contains)) {
            return Refusal.IDENTITY;
        }
        return null;
    }

    /** Why a client was refused an export. */
    public enum Refusal { ADDRESS, TLS_REQUIRED, IDENTITY, NOT_ATTACHED }

    /** True when a client at {@code address} may use the export. */
    public boolean allows(InetAddress address) {
        if (allowedClients.isEmpty()) {
            return true;
        }
        for (String c : allowedClients) {
            if (Cidr.parse("allowedClients entry", c).contains(address)) {
                return true;
            }
        }
        return false;
    }
}
