package io.scoria.accelerator.frontend;

import io.scoria.backend.config.Secret;

import java.util.Objects;

/**
 * Whether a client may use a volume according to the volume's attachments to hosts. Immutable;
 * {@code toString} never shows the CHAP secret ({@link Secret} hides it).
 *
 * @param kind              {@link Kind#UNMANAGED}: the volume has no attachment, the frontend's static
 *                          policy decides; otherwise admitted or refused
 * @param host              the attached host the client proved to be (ADMITTED), else null
 * @param readOnly          the attachment is read-only (ADMITTED)
 * @param certificateNeeded REFUSED only: a host attached to the volume is identified by a TLS client
 *                          certificate, so a client without TLS should be told TLS is required
 * @param chapSecret        ADMITTED over iSCSI: the CHAP secret of the host, or null (the target's CHAP applies)
 */
public record Admission(Kind kind, String host, boolean readOnly, boolean certificateNeeded, Secret chapSecret) {
    /** The decision. */
    public enum Kind { UNMANAGED, ADMITTED, REFUSED }

    /** The volume has no attachment. */
    public static final Admission UNMANAGED = new Admission(Kind.UNMANAGED, null, false, false, null);

    public Admission {
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.ADMITTED) {
            Objects.requireNonNull(host, "host");
        }
    }

    public static Admission admitted(String host, boolean readOnly, Secret chapSecret) {
        return new Admission(Kind.ADMITTED, host, readOnly, false, chapSecret);
    }

    public static Admission refused(boolean certificateNeeded) {
        return new Admission(Kind.REFUSED, null, false, certificateNeeded, null);
    }

    public boolean unmanaged() {
        return kind == Kind.UNMANAGED;
    }

    public boolean refused() {
        return kind == Kind.REFUSED;
    }
}
