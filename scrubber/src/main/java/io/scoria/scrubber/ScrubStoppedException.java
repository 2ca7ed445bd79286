package io.scoria.scrubber;

/** A scrub stopped because its worker was asked to stop; what it wrote is removed, its work item stays. */
public class ScrubStoppedException extends ScrubException {
    private static final long serialVersionUID = 1L;

    public ScrubStoppedException(String message) {
        super(message);
    }
}
