package io.scoria.sco.scrub;

/** The scrub result was applied already; applying it again is refused. */
public class ScrubResultAppliedException extends StaleScrubResultException {
    private static final long serialVersionUID = 1L;

    public ScrubResultAppliedException(String message) {
        super(message);
    }
}
