package io.scoria.accelerator.foc;

/** The FOC server cannot be reached (not connected, connection lost, or request timed out). */
public class FocUnavailableException extends FocException {
    private static final long serialVersionUID = 1L;

    public FocUnavailableException(String message) {
        super(message);
    }

    public FocUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
