package io.scoria.accelerator.foc;

/** A peer sent a frame that violates the FOC wire protocol; the connection is closed. */
public class FocProtocolException extends FocException {
    private static final long serialVersionUID = 1L;

    public FocProtocolException(String message) {
        super(message);
    }
}
