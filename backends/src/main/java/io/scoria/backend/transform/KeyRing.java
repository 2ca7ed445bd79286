package io.scoria.backend.transform;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-namespace transform policies and wrapped data keys, one small JSON object per
 * namespace ({@code volume/<namespace>}) in one namespace of a store of its own choosing (by
 * default {@code scoria-keyring} on the backend itself, apart from the volumes' namespaces so that
 * copying a volume's objects never copies its key). Data keys are wrapped by the current
 * key-encryption key; older KEKs are kept only to unwrap until {@link #rotate()} re-wraps their
 * records, which rewrites no data. {@link #destroy} deletes a namespace's record: from then on no
 * copy of that namespace's encrypted objects, wherever it is, can be opened (crypto-shredding).
 *
 * <p>Thread-safe: records are cached per namespace in a concurrent map (absent ones too); this
 * process's own create/destroy update the cache, and they and each record's re-wrap by
 * {@link #rotate()} hold one lock of this ring while they read and write the record. A record
 * destroyed by another process stays usable here until {@link #forget} or a restart
 * (sco-store/FORMATS.md says which programs).
 * The key ring does not own {@code store}.
 */
public final class KeyRing {
    /** Default namespace of the key ring on the backend. */
    public static final String DEFAULT_NAMESPACE = "scoria-keyring";
    private static final String PREFIX = "volume/";
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ObjectStore store;
    private final String ringNamespace;
    private final KeyEncryptionKey current;
    private final List<KeyEncryptionKey> previous;
    private final Map<String, Optional<NamespaceKeys>> cache = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();

    /**
     * A key ring in {@code ringNamespace} of {@code store} (created if missing), wrapping with
     * {@code current} and unwrapping with it or any of {@code previous}. Without any KEK
     * ({@code current} null) the ring only holds policies that do not encrypt.
     */
    public KeyRing(ObjectStore store, String ringNamespace, KeyEncryptionKey current, List<KeyEncryptionKey> previous) {
        this.store = Objects.requireNonNull(store, "store");
        this.ringNamespace = Objects.requireNonNull(ringNamespace, "ringNamespace");
        this.current = current;
        this.previous = List.copyOf(previous);
        if (!store.namespaceExists(ringNamespace)) {
            store.createNamespace(ringNamespace);
        }
    }

    /** The namespace the records live in. */
    public String ringNamespace() {
        return ringNamespace;
    }

    /** The store the records live in, for messages. */
    public String where() {
        return store.name() + ":" + ringNamespace;
    }

    /**
     * The policy and data key of {@code namespace}, or empty when the ring has no record of it.
     *
     * @throws WrongKeyException naming the namespace when no configured KEK unwraps its data key
     */
    public Optional<NamespaceKeys> lookup(String namespace) {
        Optional<NamespaceKeys> cached = cache.get(namespace);
        if (cached != null) {
            return cached;
        }
        Optional<NamespaceKeys> loaded = read(namespace).map(r -> open(namespace, r));
        cache.put(namespace, loaded);
        return loaded;
    }

    /**
     * Records {@code policy} for {@code namespace} with a new random data key when it encrypts,
     * replacing any record of that namespace (whose objects then no longer open).
     */
    public NamespaceKeys create(String namespace, TransformPolicy policy) {
        if (policy.encrypted() && current == null) {
            throw new IllegalStateException("volume '" + namespace + "': encryption needs a key-encryption key "
                    + "(backend.transform.keyEncryptionKey) and none is configured");
        }
        DataKey key = policy.encrypted() ? DataKey.generate(RANDOM) : null;
        KeyRecord r = key == null
                ? new KeyRecord(KeyRecord.FORMAT, namespace, policy.toString(), null, null, null)
                : new KeyRecord(KeyRecord.FORMAT, namespace, policy.toString(), hex(key.id()), current.id(),
                        Base64.getEncoder().encodeToString(current.wrap(key, namespace)));
        NamespaceKeys keys = new NamespaceKeys(policy, key);
        synchronized (writeLock) {
            write(r);
            cache.put(namespace, Optional.of(keys));
        }
        return keys;
    }

    /** Deletes the record of {@code namespace}: its data key is gone for good. */
    public void destroy(String namespace) {
        synchronized (writeLock) {
            cache.put(namespace, Optional.empty());
            store.delete(ringNamespace, PREFIX + namespace);
        }
    }

    /** Drops this process's cached record of {@code namespace}; the next look-up reads the ring. */
    public void forget(String namespace) {
        cache.remove(namespace);
    }

    /**
     * Re-wraps every data key that an older KEK wrapped with the current one; object data is not
     * touched. Each record is replaced by one whole-object put (atomic on every store), so a pass
     * that stops anywhere (an error, {@code kill -9}) leaves every record wrapped by the old or the
     * new KEK, never lost, and the next pass finishes the rest; records already under the current
     * KEK are skipped, so passes can be repeated. A record that no configured KEK unwraps, or that
     * is damaged, is left as it is and reported; the pass goes on with the others. Serialized with
     * this ring's own {@link #create} and {@link #destroy}, so a volume this process deletes during
     * the pass stays deleted; another process's delete is not seen (see sco-store/FORMATS.md).
     *
     * @throws IllegalStateException when no current key-encryption key is configured
     */
    public KeyRotation rotate() {
        if (current == null) {
            throw new IllegalStateException("no key-encryption key to rotate to: backend.transform.keyEncryptionKey "
                    + "is not set (put the new key there and the old ones under previousKeyEncryptionKeys)");
        }
        int rewrapped = 0;
        int alreadyCurrent = 0;
        Map<String, String> unopened = new TreeMap<>();
        for (ObjectInfo o : store.listAll(ringNamespace, PREFIX)) {
            String namespace = o.key().substring(PREFIX.length());
            try {
                if (rewrap(namespace)) {
                    rewrapped++;
                } else {
                    alreadyCurrent++;
                }
            } catch (WrongKeyException | CorruptDataException e) {
                unopened.put(namespace, e.getMessage());
            }
        }
        return new KeyRotation(current.id(), rewrapped, alreadyCurrent, unopened);
    }

    /** Re-wraps the record of {@code namespace} under the current KEK; false when it needs nothing (or is gone). */
    private boolean rewrap(String namespace) {
        synchronized (writeLock) {
            Optional<KeyRecord> r = read(namespace);
            if (r.isEmpty() || r.get().kekId() == null || r.get().kekId().equals(current.id())) {
                return false;
            }
            NamespaceKeys keys = open(namespace, r.get());
            if (keys.dataKey() == null) {
                return false;
            }
            write(new KeyRecord(KeyRecord.FORMAT, namespace, r.get().policy(), r.get().keyId(), current.id(),
                    Base64.getEncoder().encodeToString(current.wrap(keys.dataKey(), namespace))));
            return true;
        }
    }

    private Optional<KeyRecord> read(String namespace) {
        ByteBuffer b;
        try {
            b = store.get(ringNamespace, PREFIX + namespace);
        } catch (NotFoundException e) {
            return Optional.empty();
        }
        try {
            KeyRecord r = JSON.readValue(b.array(), b.arrayOffset() + b.position(), b.remaining(), KeyRecord.class);
            if (r.format() != KeyRecord.FORMAT || !namespace.equals(r.namespace()) || r.policy() == null) {
                throw new CorruptDataException(where() + ": key record of volume '" + namespace + "' is not a format "
                        + KeyRecord.FORMAT + " record of that volume");
            }
            return Optional.of(r);
        } catch (IOException e) {
            throw new CorruptDataException(where() + ": key record of volume '" + namespace + "' is not valid JSON", e);
        }
    }

    private NamespaceKeys open(String namespace, KeyRecord r) {
        TransformPolicy policy;
        try {
            policy = TransformPolicy.parse(r.policy());
        } catch (IllegalArgumentException e) {
            throw new CorruptDataException(where() + ": key record of volume '" + namespace + "': " + e.getMessage());
        }
        if (!policy.encrypted()) {
            return new NamespaceKeys(policy, null);
        }
        if (r.wrappedKey() == null || r.keyId() == null || r.kekId() == null) {
            throw new CorruptDataException(where() + ": key record of volume '" + namespace + "' lacks its wrapped key");
        }
        byte[] wrapped;
        long keyId;
        try {
            wrapped = Base64.getDecoder().decode(r.wrappedKey());
            keyId = HexFormat.fromHexDigitsToLong(r.keyId());
        } catch (IllegalArgumentException e) {
            throw new CorruptDataException(where() + ": key record of volume '" + namespace + "' is damaged");
        }
        for (KeyEncryptionKey kek : kekFor(r.kekId())) {
            Optional<DataKey> k = kek.unwrap(wrapped, namespace, keyId);
            if (k.isPresent()) {
                return new NamespaceKeys(policy, k.get());
            }
        }
        if (current == null && previous.isEmpty()) {
            throw new WrongKeyException(namespace, "volume '" + namespace + "' is encrypted and no key-encryption key is "
                    + "configured (backend.transform.keyEncryptionKey)");
        }
        throw new WrongKeyException(namespace, "volume '" + namespace + "': the configured key-encryption key"
                + (previous.isEmpty() ? "" : "s") + " cannot unwrap its data key (it was wrapped by key-encryption key "
                + r.kekId() + "; configure that key, or the current one after a rotation)");
    }

    private List<KeyEncryptionKey> kekFor(String kekId) {
        if (current != null && current.id().equals(kekId)) {
            return List.of(current);
        }
        return previous.stream().filter(k -> k.id().equals(kekId)).toList();
    }

    private void write(KeyRecord r) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(r);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a key record", e);
        }
        store.put(ringNamespace, PREFIX + r.namespace(), ByteBuffer.wrap(json));
    }

    private static String hex(long v) {
        return HexFormat.of().toHexDigits(v);
    }
}
