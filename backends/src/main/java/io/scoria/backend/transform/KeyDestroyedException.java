package io.scoria.backend.transform;

/**
 * An encrypted object of a volume whose data key is gone from the key ring: the volume was
 * deleted (crypto-shredded) or the object is read through a key ring that never held its key.
 * No key can open it any more. The message names the volume and the object.
 */
public class KeyDestroyedException extends WrongKeyException {
    private static final long serialVersionUID = 1L;

    public KeyDestroyedException(String namespace, String message) {
        super(namespace, message);
    }
}
