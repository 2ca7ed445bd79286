package io.scoria.scrubber;

/** Another scrub job holds the namespace's lease. */
public class LeaseHeldException extends ScrubException {
    private static final long serialVersionUID = 1L;

    public LeaseHeldException(String message) {
        super(message);
    }
}
