package io.scoria.backend.transform;

import io.scoria.backend.BackendException;

/**
 * A volume's data cannot be opened with the keys this program holds: the key-encryption key does
 * not unwrap the volume's data key, or an object was sealed under another data key than the
 * volume's. The message names the volume (namespace) and the object, never a key or its bytes.
 */
public class WrongKeyException extends BackendException {
    private static final long serialVersionUID = 1L;
    private final String namespace;

    public WrongKeyException(String namespace, String message) {
        super(message);
        this.namespace = namespace;
    }

    /** The volume's namespace. */
    public String namespace() {
        return namespace;
    }
}
