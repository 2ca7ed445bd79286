package io.scoria.accelerator.foc;

/**
 * A FOC connection failed authentication: the peers' shared secrets differ, one side has none, or
 * a frame's HMAC does not match (tampered, replayed or reordered). The connection is closed before
 * any request is applied. The message names the cause, never the secret.
 */
public class FocAuthenticationException extends FocException {
    private static final long serialVersionUID = 1L;

    public FocAuthenticationException(String message) {
        super(message);
    }
}
