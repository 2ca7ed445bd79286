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
 * one. {@link #focEntryKey()} is the root key of the volume's fail-over cache entries,
 * HMAC-SHA256(data key, "scoria foc entries"): another label, so independent of the SCO files' key.
 * {@link #toString()} never shows a key. Immutable and thread-safe.
 */
public final class FlashKey {
    private static final byte[] LABEL = "scoria local flash".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FOC_LABEL = "scoria foc entries".getBytes(StandardCharsets.US_ASCII);

    private final String namespace;
    private final long keyId;
    private final SecretKeySpec key;
    private final SecretKeySpec focKey;

    private FlashKey(String namespace, long keyId, SecretKeySpec key, SecretKeySpec focKey) {
        this.namespace = namespace;
        this.keyId = keyId;
        this.key = key;
        this.focKey = focKey;
    }

    /** The local flash key of {@code namespace}, derived from its data key. */
    static FlashKey of(String namespace, DataKey dataKey) {
        return new FlashKey(Objects.requireNonNull(namespace, "namespace"), dataKey.id(), dataKey.derive(LABEL, new byte[0]),
                dataKey.derive(FOC_LABEL, new byte[0]));
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

    /**
     * The 32-byte root key of the volume's fail-over cache entries (an HMAC-SHA256 key from which each
     * FOC client derives its own entry key); the caller must not show or store it.
     */
    public SecretKeySpec focEntryKey() {
        return focKey;
    }

    @Override
    public String toString() {
        return "FlashKey[volume=" + namespace + ", key id " + Long.toHexString(keyId) + ", key=***]";
    }
}
