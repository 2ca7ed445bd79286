package io.scoria.backend.transform;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.Capabilities;
import io.scoria.backend.Names;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.ObjectStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link ObjectStore} that compresses and encrypts the objects of each namespace on their way
 * to another store, by the namespace's {@link TransformPolicy} in a {@link KeyRing}
 * (sco-store/FORMATS.md, "Transformed objects"). Objects are cut into 64 KiB chunks, each
 * compressed alone (kept raw when that does not shrink it) and sealed with AES-256-GCM under a
 * key derived from the namespace's data key, so a ranged read fetches and opens only the chunks
 * it covers. Reads follow each object's own header, so objects written before transforms, or in
 * namespaces without a policy (which are written as they come), read as stored.
 *
 * <p>New namespaces get the default policy unless {@link #createNamespace(String, TransformPolicy)}
 * names one; {@link #deleteNamespace} destroys the namespace's data key before it deletes a single
 * object, so every copy of its encrypted objects, here or elsewhere, is unreadable from then on.
 * Sizes in {@link #stat} and {@link #list} are plaintext sizes (each costs a header read unless
 * the header is cached). Errors: {@link WrongKeyException}, {@link KeyDestroyedException} and
 * {@link io.scoria.backend.CorruptDataException} for an altered chunk or header.
 *
 * <p>Thread-safe. Owns {@code delegate} and {@code ringStore} (when given) and closes them.
 * Buffers: as {@link ObjectStore}; a put holds the whole transformed object on the heap.
 */
public final class TransformingObjectStore extends AbstractObjectStore {
    private static final int HEADER_CACHE_ENTRIES = 4096;

    private final ObjectStore delegate;
    private final KeyRing ring;
    private final ObjectStore ringStore;
    private final TransformPolicy defaultPolicy;
    private final HeaderCache headers = new HeaderCache(HEADER_CACHE_ENTRIES);
    private final TransformedReads reads;
    private final Capabilities capabilities;

    /**
     * Decorates {@code delegate}. {@code ringStore} is the store of {@code ring} when it is not
     * {@code delegate} (closed with this store), else null; the ring's namespace is hidden from
     * {@link #listNamespaces} when it lives on {@code delegate}.
     */
    public TransformingObjectStore(ObjectStore delegate, KeyRing ring, ObjectStore ringStore, TransformPolicy defaultPolicy) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.ring = Objects.requireNonNull(ring, "ring");
        this.ringStore = ringStore;
        this.defaultPolicy = Objects.requireNonNull(defaultPolicy, "defaultPolicy");
        this.reads = new TransformedReads(delegate, ring, headers);
        Capabilities c = delegate.capabilities();
        long stored = Math.min(c.maxObjectSize(), Integer.MAX_VALUE - 64);
        long overhead = ObjectCodec.maxStoredLength(stored) - stored;
        this.capabilities = new Capabilities(c.rangeReads(), c.conditionalPut(), Math.max(1, stored - overhead),
                c.maxKeyLength());
    }

    /** The store the transformed objects are kept in (owned by this store). */
    public ObjectStore delegate() {
        return delegate;
    }

    /** The policy new namespaces get when none is named. */
    public TransformPolicy defaultPolicy() {
        return defaultPolicy;
    }

    /** The key ring holding the namespaces' policies and data keys. */
    public KeyRing keyRing() {
        return ring;
    }

    /** The policy objects of {@code namespace} are written with ({@link TransformPolicy#NONE} without a record). */
    public TransformPolicy policyOf(String namespace) {
        Names.checkNamespace(namespace);
        return ring.lookup(namespace).map(NamespaceKeys::policy).orElse(TransformPolicy.NONE);
    }

    /**
     * The key that encrypts {@code namespace}'s files on local flash, or empty when its policy does
     * not encrypt (or the key ring has no record of it).
     *
     * @throws WrongKeyException naming the volume when no configured key-encryption key unwraps its data key
     */
    public Optional<FlashKey> flashKey(String namespace) {
        Names.checkNamespace(namespace);
        return keysOf(namespace).filter(k -> k.dataKey() != null).map(k -> FlashKey.of(namespace, k.dataKey()));
    }

    /**
     * Creates {@code namespace} with {@code policy} (a new data key when it encrypts); returns
     * false, changing nothing, when the namespace already exists.
     */
    public boolean createNamespace(String namespace, TransformPolicy policy) {
        Names.checkNamespace(namespace);
        Objects.requireNonNull(policy, "policy");
        if (delegate.namespaceExists(namespace)) {
            return false;
        }
        if (policy.isNone()) {
            ring.destroy(namespace);
        } else {
            ring.create(namespace, policy);
        }
        headers.removeNamespace(namespace);
        return delegate.createNamespace(namespace);
    }

    /**
     * Creates {@code namespace} for a copy of a volume that lives on another backend (a replica, or
     * the old primary a fail-back ships into): when the key ring already holds the volume's record
     * (a key ring shared with the other site), the namespace keeps that record, so the copy opens
     * with the volume's own data key and one delete shreds both; otherwise it gets the default
     * policy and a new data key of its own, as {@link #createNamespace(String)} does. Returns false,
     * changing nothing, when the namespace already exists.
     *
     * @throws WrongKeyException naming the volume when the ring's record exists but no configured
     *                           key-encryption key unwraps it (nothing is created then)
     */
    public boolean createCopyNamespace(String namespace) {
        Names.checkNamespace(namespace);
        if (delegate.namespaceExists(namespace)) {
            return false;
        }
        ring.forget(namespace);
        if (ring.lookup(namespace).isEmpty()) {
            return createNamespace(namespace, defaultPolicy);
        }
        headers.removeNamespace(namespace);
        return delegate.createNamespace(namespace);
    }

    @Override
    public String name() {
        return "transform(" + delegate.name() + ")";
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        return createNamespace(namespace, defaultPolicy);
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        ring.destroy(namespace);
        headers.removeNamespace(namespace);
        return delegate.deleteNamespace(namespace);
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        return delegate.namespaceExists(namespace);
    }

    @Override
    protected List<String> doListNamespaces() {
        List<String> all = delegate.listNamespaces();
        return ringStore != null ? all : all.stream().filter(n -> !n.equals(ring.ringNamespace())).toList();
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        delegate.put(namespace, key, encode(namespace, key, data));
        headers.remove(namespace, key);
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        if (keysOf(namespace).isEmpty()) {
            delegate.put(namespace, key, file);
        } else {
            try {
                doPut(namespace, key, ByteBuffer.wrap(Files.readAllBytes(file)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        headers.remove(namespace, key);
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        delegate.putIfAbsent(namespace, key, encode(namespace, key, data));
        headers.remove(namespace, key);
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        return reads.get(namespace, key);
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        if (!reads.read(namespace, key, offset, dst)) {
            delegate.read(namespace, key, offset, dst);
        }
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        return plainInfo(namespace, delegate.stat(namespace, key), false);
    }

    @Override
    protected void doDelete(String namespace, String key) {
        headers.remove(namespace, key);
        delegate.delete(namespace, key);
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        ObjectPage page = delegate.list(namespace, prefix, startAfter, limit);
        List<ObjectInfo> plain = new ArrayList<>(page.objects().size());
        for (ObjectInfo o : page.objects()) {
            plain.add(plainInfo(namespace, o, true));
        }
        return new ObjectPage(plain, page.nextAfter());
    }

    @Override
    protected void doClose() {
        try {
            delegate.close();
        } finally {
            if (ringStore != null) {
                ringStore.close();
            }
        }
    }

    private Optional<NamespaceKeys> keysOf(String namespace) {
        Optional<NamespaceKeys> keys = ring.lookup(namespace);
        return keys.filter(k -> !k.policy().isNone());
    }

    private ByteBuffer encode(String namespace, String key, ByteBuffer data) {
        Optional<NamespaceKeys> keys = keysOf(namespace);
        if (keys.isEmpty()) {
            return data;
        }
        return ObjectCodec.encode(keys.get().policy(), keys.get().dataKey(), namespace, key, data);
    }

    /** {@code stored} with the plaintext size; a listing may take it from a cached header, a stat reads it. */
    private ObjectInfo plainInfo(String namespace, ObjectInfo stored, boolean cached) {
        if (stored.size() < ObjectHeader.indexEnd(0)) {
            return stored;
        }
        return reads.header(namespace, stored.key(), cached)
                .map(h -> new ObjectInfo(stored.key(), h.plainLength, stored.lastModified()))
                .orElse(stored);
    }
}
