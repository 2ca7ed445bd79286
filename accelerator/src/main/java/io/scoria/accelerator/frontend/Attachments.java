package io.scoria.accelerator.frontend;

/**
 * Where both frontends ask whether a client may use a volume that is attached to hosts, and where
 * they register the sessions they open so that a change of the volume's attachments (a detach) can
 * close those it no longer admits. The control plane implements it; {@link #NONE} attaches nothing
 * (every volume keeps the frontends' static policy). Implementations are thread-safe and do no I/O
 * in {@link #admit} (it runs on event loops).
 */
public interface Attachments {
    /** No host attachments: every admission is {@link Admission#UNMANAGED}. */
    Attachments NONE = new Attachments() {
        private final OpenSessions sessions = new OpenSessions();

        @Override
        public Admission admit(String volume, Client client) {
            return Admission.UNMANAGED;
        }

        @Override
        public OpenSessions sessions() {
            return sessions;
        }
    };

    /** The decision for {@code client} and {@code volume} (an iSCSI volume name matches whatever its case). */
    Admission admit(String volume, Client client);

    /** The sessions open on this node, by volume. */
    OpenSessions sessions();

    /**
     * Why {@code volume} may not be served at all now, whoever asks (it is being created or deleted), or
     * empty. Asked after a client is admitted, before the volume is opened, and for every volume an export
     * list or a discovery session would name (such a volume is left out); no I/O. The default: never.
     */
    default java.util.Optional<String> unavailable(String volume) {
        return java.util.Optional.empty();
    }
}
