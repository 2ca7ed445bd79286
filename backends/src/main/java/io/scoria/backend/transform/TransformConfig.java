package io.scoria.backend.transform;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.Secret;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code backend.transform} section: the policy new volumes get, the key-encryption key and
 * where the key ring lives. Read by the shared config reader (secrets inline, {@code {file:}} or
 * {@code {env:}}; a relative {@code keyring} directory resolves against the config file's
 * directory). Immutable; validated on construction with {@link ConfigException}s naming the key.
 * {@code toString} shows no key (they are {@link Secret}s).
 *
 * <pre>
 * backend:
 *   type: s3
 *   s3: { ... }
 *   transform:
 *     compression: lz4                 # none | lz4 | zstd[:level]  (default for new volumes: none)
 *     encryption: aes-256-gcm          # none | aes-256-gcm          (default for new volumes: none)
 *     keyEncryptionKey: {file: kek}    # 32 bytes, base64 or hex; needed to create or read encrypted volumes
 *     previousKeyEncryptionKeys: [ {file: kek.old} ]   # unwrap only, until "scoria backend rotate-keys"
 *     keyring: /srv/scoria-keys        # a directory (shared by every site); default: namespace scoria-keyring on the backend
 * </pre>
 */
public record TransformConfig(String compression, String encryption, Secret keyEncryptionKey,
                              List<Secret> previousKeyEncryptionKeys, Path keyring) {
    public TransformConfig {
        previousKeyEncryptionKeys = previousKeyEncryptionKeys == null ? List.of() : List.copyOf(previousKeyEncryptionKeys);
        TransformPolicy p;
        try {
            p = TransformPolicy.of(compression, null);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("compression", e.getMessage());
        }
        try {
            p = TransformPolicy.of(compression, encryption);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("encryption", e.getMessage());
        }
        ConfigException.check(!p.encrypted() || keyEncryptionKey != null, "keyEncryptionKey",
                "is required when encryption is aes-256-gcm");
        kek(keyEncryptionKey, "keyEncryptionKey");
        for (int i = 0; i < previousKeyEncryptionKeys.size(); i++) {
            kek(previousKeyEncryptionKeys.get(i), "previousKeyEncryptionKeys[" + i + "]");
        }
    }

    /** The policy volumes get when {@code volume create} names none. */
    public TransformPolicy defaultPolicy() {
        return TransformPolicy.of(compression, encryption);
    }

    /**
     * Decorates {@code backend} (which the returned store then owns) with this section's key ring
     * and default policy.
     */
    public TransformingObjectStore open(ObjectStore backend) {
        KeyEncryptionKey current = kek(keyEncryptionKey, "keyEncryptionKey");
        List<KeyEncryptionKey> old = new ArrayList<>();
        for (Secret s : previousKeyEncryptionKeys) {
            old.add(kek(s, "previousKeyEncryptionKeys"));
        }
        ObjectStore ringStore = keyring == null ? null : new FsObjectStore(new FsStoreConfig(keyring));
        try {
            KeyRing ring = new KeyRing(ringStore == null ? backend : ringStore, KeyRing.DEFAULT_NAMESPACE, current, old);
            return new TransformingObjectStore(backend, ring, ringStore, defaultPolicy());
        } catch (RuntimeException e) {
            if (ringStore != null) {
                ringStore.close();
            }
            throw e;
        }
    }

    private static KeyEncryptionKey kek(Secret secret, String key) {
        if (secret == null) {
            return null;
        }
        try {
            return KeyEncryptionKey.of(secret, key);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage().substring(key.length() + 2));
        }
    }
}
