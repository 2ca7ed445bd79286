package io.scoria.backend;

/**
 * The store could not be reached or refused service (connection refused, timeouts, 5xx after
 * retries, wrong credentials). The operation may succeed later; nothing was changed that a
 * reader can observe as half-done.
 */
public class BackendUnavailableException extends BackendException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
