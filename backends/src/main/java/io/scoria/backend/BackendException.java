package io.scoria.backend;

/**
 * Root of every error an {@link ObjectStore} reports. Unchecked so that it travels through
 * {@link java.util.concurrent.CompletableFuture}s unchanged; callers that care catch the
 * subclasses. The message always names the store and, where known, the namespace and key.
 */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
