package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeException;

/**
 * A clone set stopped before its last clone (a failure or a cancel) and was rolled back: none of its
 * clones exist. The message names the clone that failed and how many were removed; the cause is the
 * failure (none for a cancel).
 */
public final class CloneSetFailedException extends VolumeException {
    private static final long serialVersionUID = 1L;

    public CloneSetFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
