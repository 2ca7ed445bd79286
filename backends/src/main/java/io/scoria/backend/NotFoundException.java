package io.scoria.backend;

/** The namespace or object does not exist. */
public class NotFoundException extends BackendException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
