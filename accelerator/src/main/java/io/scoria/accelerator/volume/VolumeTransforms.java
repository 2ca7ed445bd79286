package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.BackendException;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.transform.FlashKey;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.ScoFileCipher;

import java.util.Optional;

/**
 * The volumes' compression and encryption at rest, where the engine meets the backend's
 * {@link TransformingObjectStore} (present when the config has a {@code backend.transform}
 * section): the policy a new volume gets (its own, else the backend's default; a clone takes its
 * parent's), the creation of its namespace with that policy (a new data key in the key ring when
 * it encrypts), the policy shown by {@code volume show} and the cipher of an encrypted volume's
 * local SCO files. On a backend without transforms only
 * {@code none} is accepted. Stateless apart from the store; thread-safe.
 */
final class VolumeTransforms {
    private final ObjectStore store;
    private final TransformingObjectStore transforming;

    VolumeTransforms(ObjectStore store) {
        this.store = store;
        this.transforming = store instanceof TransformingObjectStore t ? t : null;
    }

    /** The policy of a new volume: {@code compression} and {@code encryption} where given, else the backend's default. */
    TransformPolicy policyFor(String compression, String encryption) {
        TransformPolicy base = transforming == null ? TransformPolicy.NONE : transforming.defaultPolicy();
        TransformPolicy p = TransformPolicy.of(compression == null ? base.compressionLabel() : compression,
                encryption == null ? base.encryptionLabel() : encryption);
        if (transforming == null && !p.isNone()) {
            throw new IllegalArgumentException("compression and encryption need a backend.transform section in the config"
                    + " (backend " + store.name() + " has none): " + p);
        }
        return p;
    }

    /** Creates the namespace of a new volume with {@code policy}. */
    void createNamespace(String namespace, TransformPolicy policy) {
        if (transforming == null) {
            store.createNamespace(namespace);
        } else {
            transforming.createNamespace(namespace, policy);
        }
    }

    /**
     * The cipher of {@code namespace}'s local SCO files (its key derived from the volume's data
     * key), or null when the volume is not encrypted.
     *
     * @throws io.scoria.backend.transform.WrongKeyException naming the volume when its data key cannot be unwrapped
     */
    ScoFileCipher scoCipher(String namespace) {
        return flashKey(namespace).map(ScoFileCipher::new).orElse(null);
    }

    /**
     * The local flash keys of {@code namespace} (its SCO files' and FOC entries'), or empty when the volume is
     * not encrypted.
     *
     * @throws io.scoria.backend.transform.WrongKeyException naming the volume when its data key cannot be unwrapped
     */
    Optional<FlashKey> flashKey(String namespace) {
        return transforming == null ? Optional.empty() : transforming.flashKey(namespace);
    }

    /** The policy objects of {@code namespace} are written with. */
    TransformPolicy policyOf(String namespace) {
        return transforming == null ? TransformPolicy.NONE : transforming.policyOf(namespace);
    }

    /**
     * The spec of a volume, with its policy. A policy that cannot be read (a key-encryption key
     * that does not unwrap the volume's key) shows as {@code unreadable}: listing volumes must not
     * fail because of one of them.
     */
    VolumeSpec specOf(VolumeManifest.Config c) {
        VolumeSpec spec = new VolumeSpec(c.sizeBytes(), c.clusterSize(), c.scoSize());
        try {
            return spec.withTransform(policyOf(c.namespace()));
        } catch (BackendException e) {
            return new VolumeSpec(c.sizeBytes(), c.clusterSize(), c.scoSize(), "unreadable", "unreadable");
        }
    }
}
