package io.scoria.sco;

import io.scoria.backend.CorruptDataException;

/** A SCO, TLog or manifest failed a checksum or format check; its bytes are never used as data. */
public class ScoFormatException extends CorruptDataException {
    private static final long serialVersionUID = 1L;

    public ScoFormatException(String message) {
        super(message);
    }

    public ScoFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
