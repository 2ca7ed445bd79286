package io.scoria.backend;

/**
 * A conditional operation did not hold: put-if-absent found an object, or a namespace that
 * must be empty was not.
 */
public class PreconditionFailedException extends BackendException {
    private static final long serialVersionUID = 1L;

    public PreconditionFailedException(String message) {
        super(message);
    }
}
