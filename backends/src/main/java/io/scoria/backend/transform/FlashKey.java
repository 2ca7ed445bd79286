package io.scoria.backend.transform;

import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The AES-256 key that encrypts a volume's files on local flash (sco-store/FORMATS.md, "Local
 * SCO files of encrypted volumes"): HMAC-SHA256(data key, "scoria local flash"), so it goes with
 * the volume's data key (destroying that key shreds local copies too) and is independent of the
 * keys of its backend objects. {@link #keyId()} is the data key's id, not secret (every backend
 * object header shows it), written in local files to tell a file of another key from a damaged
 * one. {@link #toString()} never shows the key. Immutable and thread-safe.
 */
public final class FlashKey {
    private static final byte[] LABEL = "scoria local flash".getBytes(StandardCharsets.US_ASCII);

    private final String namespace;
    private final long keyId;
    private final SecretKeySpec key;

    private FlashKey(String namespace, long keyId, SecretKeySpec key) {
        this.namespace = namespace;
        this.keyId = keyId;
        this.key = key;
    }

    /** The local flash key of {@code namespace}, derived from its data key. */
    static FlashKey of(String namespace, DataKey dataKey) {
        return new FlashKey(Objects.requireNonNull(namespace, "namespace"), dataKey.id(), dataKey.derive(LABEL, new byte[0]));
    }

    /** The volume (namespace) whose key this is, for messages. */
    public String namespace() {
        return namespace;
    }

    /** The id of the data key it is derived from (not secret). */
    public long keyId() {
        return keyId;
    }

    /** The AES-256 key; the caller must not show or store it. */
    public SecretKeySpec aesKey() {
        return key;
    }

    @Override
    public String toString() {
        return "FlashKey[volume=" + namespace + ", key id " + Long.toHexString(keyId) + ", key=***]";
    }
}
