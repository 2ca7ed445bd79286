package io.scoria.scrubber;

/** A scrub could not run or complete; the message names the namespace and object. Nothing was deleted. */
public class ScrubException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ScrubException(String message) {
        super(message);
    }

    public ScrubException(String message, Throwable cause) {
        super(message, cause);
    }
}
