package io.scoria.backend;

/** Stored bytes failed a checksum or a format check; they are never handed out as data. */
public class CorruptDataException extends BackendException {
    private static final long serialVersionUID = 1L;

    public CorruptDataException(String message) {
        super(message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
