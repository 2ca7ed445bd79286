package io.scoria.sco.scrub;

/**
 * A scrub result no longer fits the volume: it was applied already, or the volume's history
 * changed since the scrub read it (rollback, snapshot deleted). It must not be applied.
 */
public class StaleScrubResultException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StaleScrubResultException(String message) {
        super(message);
    }
}
