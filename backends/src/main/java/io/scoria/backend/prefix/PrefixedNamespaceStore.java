package io.scoria.backend.prefix;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.Capabilities;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.ObjectStore;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every namespace under a prefix of one namespace of the store underneath (one S3 bucket or Swift
 * container for all volumes, where a bucket per volume would run into the provider's limit). In
 * namespace {@code B} of the delegate, namespace {@code N} is the empty marker object
 * {@code namespaces/N} and its object {@code K} is {@code objects/N/K}; keys list in the same order
 * as in a namespace of their own.
 *
 * <p>Creating writes the marker (put-if-absent where the delegate has it); deleting removes the
 * namespace's objects first and the marker last, so a crash in between leaves a namespace that a
 * second delete finishes, never objects without a namespace that a later one of the same name would
 * see. A put or a listing needs the namespace to exist: this store remembers the namespaces it saw
 * (one HEAD of the marker per namespace and process, not per call), so a namespace that another
 * router deleted stays writable here until this store is reopened; routers only write to namespaces
 * they own. Reads of a missing namespace fail as missing objects. Deleting a namespace costs one LIST
 * per 1,000 objects and one DELETE per object.
 *
 * <p>Thread-safe if the delegate is. Owns the delegate and closes it.
 */
public final class PrefixedNamespaceStore extends AbstractObjectStore {
    private static final String MARKERS = "namespaces/";
    private static final String OBJECTS = "objects/";
    /** Longest namespace name ({@code io.scoria.backend.Names}) plus the prefixes around it. */
    private static final int PREFIX_MAX = OBJECTS.length() + 63 + 1;
    private static final int PAGE = 1000;

    private final ObjectStore delegate;
    private final String bucket;
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final Capabilities capabilities;

    /** Keeps every namespace in {@code bucket} of {@code delegate}, created if it does not exist. */
    public PrefixedNamespaceStore(ObjectStore delegate, String bucket) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.bucket = Objects.requireNonNull(bucket, "bucket");
        Capabilities c = delegate.capabilities();
        if (c.maxKeyLength() <= PREFIX_MAX + 64) {
            throw new IllegalArgumentException(delegate.name() + " allows keys of " + c.maxKeyLength()
                    + " characters: too short to hold namespaces as prefixes");
        }
        this.capabilities = new Capabilities(c.rangeReads(), c.conditionalPut(), c.maxObjectSize(),
                c.maxKeyLength() - PREFIX_MAX);
        if (!delegate.namespaceExists(bucket)) {
            delegate.createNamespace(bucket);
        }
    }

    @Override
    public String name() {
        return delegate.name() + "/" + bucket;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    private static String marker(String namespace) {
        return MARKERS + namespace;
    }

    private static String prefix(String namespace) {
        return OBJECTS + namespace + "/";
    }

    private void requireNamespace(String namespace) {
        if (!doNamespaceExists(namespace)) {
            throw new NotFoundException(name() + ": no namespace '" + namespace + "'");
        }
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        if (doNamespaceExists(namespace)) {
            return false;
        }
        if (capabilities.conditionalPut()) {
            try {
                delegate.putIfAbsent(bucket, marker(namespace), ByteBuffer.allocate(0));
            } catch (io.scoria.backend.PreconditionFailedException e) {
                known.add(namespace);
                return false;
            }
        } else {
            delegate.put(bucket, marker(namespace), ByteBuffer.allocate(0));
        }
        known.add(namespace);
        return true;
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        if (!delegate.exists(bucket, marker(namespace))) {
            known.remove(namespace);
            return false;
        }
        String p = prefix(namespace);
        String after = null;
        do {
            ObjectPage page = delegate.list(bucket, p, after, PAGE);
            for (ObjectInfo o : page.objects()) {
                delegate.delete(bucket, o.key());
            }
            after = page.nextAfter();
        } while (after != null);
        known.remove(namespace);
        delegate.delete(bucket, marker(namespace));
        return true;
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        if (known.contains(namespace)) {
            return true;
        }
        boolean exists = delegate.exists(bucket, marker(namespace));
        if (exists) {
            known.add(namespace);
        }
        return exists;
    }

    @Override
    protected List<String> doListNamespaces() {
        List<String> out = new ArrayList<>();
        for (ObjectInfo o : delegate.listAll(bucket, MARKERS)) {
            out.add(o.key().substring(MARKERS.length()));
        }
        return out;
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        requireNamespace(namespace);
        delegate.put(bucket, prefix(namespace) + key, data);
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        requireNamespace(namespace);
        delegate.put(bucket, prefix(namespace) + key, file);
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        requireNamespace(namespace);
        delegate.putIfAbsent(bucket, prefix(namespace) + key, data);
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        return delegate.get(bucket, prefix(namespace) + key);
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        delegate.read(bucket, prefix(namespace) + key, offset, dst);
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        ObjectInfo i = delegate.stat(bucket, prefix(namespace) + key);
        return new ObjectInfo(key, i.size(), i.lastModified());
    }

    @Override
    protected void doDelete(String namespace, String key) {
        delegate.delete(bucket, prefix(namespace) + key);
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        requireNamespace(namespace);
        String p = prefix(namespace);
        ObjectPage page = delegate.list(bucket, p + (prefix == null ? "" : prefix),
                startAfter == null ? null : p + startAfter, limit);
        List<ObjectInfo> objects = new ArrayList<>(page.objects().size());
        for (ObjectInfo o : page.objects()) {
            objects.add(new ObjectInfo(o.key().substring(p.length()), o.size(), o.lastModified()));
        }
        return new ObjectPage(objects, page.nextAfter() == null ? null : page.nextAfter().substring(p.length()));
    }

    @Override
    protected void doClose() {
        delegate.close();
    }
}
