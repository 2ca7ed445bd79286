package io.scoria.backend.testing;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.Capabilities;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.PreconditionFailedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A store in the JVM heap, for fast unit tests. Objects are immutable byte arrays, so a put is
 * atomic and readers never see a mix. Test fixture only: never in a production jar.
 */
public final class InMemoryObjectStore extends AbstractObjectStore {

    private record Blob(byte[] bytes, Instant modified) {
    }

    private final String name;
    private final Capabilities capabilities;
    private final Map<String, NavigableMap<String, Blob>> namespaces = new ConcurrentHashMap<>();

    public InMemoryObjectStore() {
        this("memory");
    }

    public InMemoryObjectStore(String name) {
        this(name, Integer.MAX_VALUE - 8);
    }

    /** A store that refuses objects larger than {@code maxObjectSize} bytes. */
    public InMemoryObjectStore(String name, long maxObjectSize) {
        this.name = name;
        this.capabilities = new Capabilities(true, true, maxObjectSize, 1024);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    /** Sum of the sizes of all objects in the namespace (for space accounting tests). */
    public long bytesStored(String namespace) {
        return ns(namespace).values().stream().mapToLong(b -> b.bytes.length).sum();
    }

    /** Replaces stored bytes without any check, to simulate corruption on the medium. */
    public void corrupt(String namespace, String key, int offset) {
        Blob blob = ns(namespace).get(key);
        if (blob == null) {
            throw notFound(namespace, key);
        }
        byte[] copy = blob.bytes.clone();
        copy[offset] ^= 0x5a;
        ns(namespace).put(key, new Blob(copy, blob.modified));
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        return namespaces.putIfAbsent(namespace, new ConcurrentSkipListMap<>()) == null;
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        return namespaces.remove(namespace) != null;
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        return namespaces.containsKey(namespace);
    }

    @Override
    protected List<String> doListNamespaces() {
        return namespaces.keySet().stream().sorted().toList();
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        ns(namespace).put(key, new Blob(bytes, Instant.now()));
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        NavigableMap<String, Blob> ns = ns(namespace);
        try {
            ns.put(key, new Blob(Files.readAllBytes(file), Instant.now()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        if (ns(namespace).putIfAbsent(key, new Blob(bytes, Instant.now())) != null) {
            throw new PreconditionFailedException(name + ": object '" + key + "' already exists in '" + namespace + "'");
        }
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        return ByteBuffer.wrap(blob(namespace, key).bytes.clone());
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        byte[] bytes = blob(namespace, key).bytes;
        int length = dst.remaining();
        if (offset + length > bytes.length) {
            throw pastEnd(namespace, key, offset, length, bytes.length);
        }
        dst.put(bytes, (int) offset, length);
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        Blob blob = blob(namespace, key);
        return new ObjectInfo(key, blob.bytes.length, blob.modified);
    }

    @Override
    protected void doDelete(String namespace, String key) {
        ns(namespace).remove(key);
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        NavigableMap<String, Blob> ns = ns(namespace);
        NavigableMap<String, Blob> tail = startAfter == null ? ns : ns.tailMap(startAfter, false);
        List<ObjectInfo> page = new ArrayList<>();
        String last = null;
        boolean more = false;
        for (Map.Entry<String, Blob> e : tail.entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                if (e.getKey().compareTo(prefix) > 0) {
                    break;
                }
                continue;
            }
            if (page.size() == limit) {
                more = true;
                break;
            }
            page.add(new ObjectInfo(e.getKey(), e.getValue().bytes.length, e.getValue().modified));
            last = e.getKey();
        }
        return new ObjectPage(page, more ? last : null);
    }

    @Override
    protected void doClose() {
        namespaces.clear();
    }

    private NavigableMap<String, Blob> ns(String namespace) {
        NavigableMap<String, Blob> ns = namespaces.get(namespace);
        if (ns == null) {
            throw notFound(namespace, null);
        }
        return ns;
    }

    private Blob blob(String namespace, String key) {
        Blob blob = ns(namespace).get(key);
        if (blob == null) {
            throw notFound(namespace, key);
        }
        return blob;
    }
}
