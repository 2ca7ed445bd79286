package io.scoria.backend.transform;

import io.scoria.backend.CorruptDataException;

import java.nio.ByteBuffer;

/**
 * The transformed object format as plain functions, without a store: encode a whole plaintext
 * object and decode a whole stored one, exactly as {@link TransformingObjectStore} does (for
 * benchmarks and offline tools). Stateless; thread-safe. Buffers: inputs are read from position
 * to limit and not moved; results are new heap buffers.
 */
public final class ObjectTransforms {
    private ObjectTransforms() {
    }

    /** {@code plain} as stored for object {@code key} of {@code namespace} under {@code keys}. */
    public static ByteBuffer encode(NamespaceKeys keys, String namespace, String key, ByteBuffer plain) {
        return ObjectCodec.encode(keys.policy(), keys.dataKey(), namespace, key, plain);
    }

    /**
     * The plaintext of stored object {@code key} of {@code namespace}; an object without the
     * header is returned as stored.
     *
     * @throws CorruptDataException when a chunk or the header fails its check
     * @throws WrongKeyException    when the object was sealed under another data key
     */
    public static ByteBuffer decode(NamespaceKeys keys, String namespace, String key, ByteBuffer stored) {
        return ObjectCodec.decodeWhole(stored.duplicate(), namespace, key, namespace + "/" + key, h -> {
            if (keys.dataKey() == null || keys.dataKey().id() != h.keyId) {
                throw new WrongKeyException(namespace, "volume '" + namespace + "': object " + key
                        + " was sealed under another data key");
            }
            return keys.dataKey();
        });
    }
}
