package io.scoria.accelerator.control;

/** A host or attachment call that cannot be done; the subclass says why. */
public class HostException extends RuntimeException {
    public HostException(String message) {
        super(message);
    }

    /** No such host or attachment. */
    public static final class NotFound extends HostException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The call contradicts the current hosts or attachments (a name taken, an exclusive attachment, a host in use). */
    public static final class Conflict extends HostException {
        public Conflict(String message) {
            super(message);
        }
    }
}
