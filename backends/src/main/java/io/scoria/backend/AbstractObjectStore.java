package io.scoria.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Base of every store: checks arguments, refuses calls after {@link #close()}, and keeps
 * {@link StoreMetrics}, so each implementation writes only its own I/O in the {@code do*}
 * methods, which receive validated arguments.
 */
public abstract class AbstractObjectStore implements ObjectStore {
    private final AtomicBoolean closed = new AtomicBoolean();
    private final StoreMetrics metrics = new StoreMetrics();

    public final StoreMetrics metrics() {
        return metrics;
    }

    protected abstract boolean doCreateNamespace(String namespace);

    protected abstract boolean doDeleteNamespace(String namespace);

    protected abstract boolean doNamespaceExists(String namespace);

    protected abstract List<String> doListNamespaces();

    /** {@code data} is a private view: the implementation may move its position. */
    protected abstract void doPut(String namespace, String key, ByteBuffer data);

    protected abstract void doPutFile(String namespace, String key, Path file, long size);

    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        throw new UnsupportedOperationException(name() + " cannot put-if-absent atomically");
    }

    protected abstract ByteBuffer doGet(String namespace, String key);

    /**
     * Reads exactly {@code dst.remaining()} bytes at {@code offset}; must throw
     * {@link IllegalArgumentException} if the range passes the end of the object.
     */
    protected abstract void doRead(String namespace, String key, long offset, ByteBuffer dst);

    protected abstract ObjectInfo doStat(String namespace, String key);

    protected abstract void doDelete(String namespace, String key);

    protected abstract ObjectPage doList(String namespace, String prefix, String startAfter, int limit);

    /** Releases the implementation's resources; called once. */
    protected abstract void doClose();

    @Override
    public final boolean createNamespace(String namespace) {
        checkOpen();
        Names.checkNamespace(namespace);
        return counted(() -> doCreateNamespace(namespace));
    }

    @Override
    public final boolean deleteNamespace(String namespace) {
        checkOpen();
        Names.checkNamespace(namespace);
        return counted(() -> doDeleteNamespace(namespace));
    }

    @Override
    public final boolean namespaceExists(String namespace) {
        checkOpen();
        Names.checkNamespace(namespace);
        return counted(() -> doNamespaceExists(namespace));
    }

    @Override
    public final List<String> listNamespaces() {
        checkOpen();
        metrics.list();
        return counted(this::doListNamespaces);
    }

    @Override
    public final void put(String namespace, String key, ByteBuffer data) {
        checkObject(namespace, key);
        checkSize(key, requireBuffer(data, "data").remaining());
        ByteBuffer view = data.duplicate();
        counted(() -> {
            doPut(namespace, key, view);
            return null;
        });
        metrics.put(data.remaining());
    }

    @Override
    public final void put(String namespace, String key, Path file) {
        checkObject(namespace, key);
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read size of " + file, e);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("file " + file + " is not a regular file");
        }
        checkSize(key, size);
        counted(() -> {
            doPutFile(namespace, key, file, size);
            return null;
        });
        metrics.put(size);
    }

    @Override
    public final void putIfAbsent(String namespace, String key, ByteBuffer data) {
        checkObject(namespace, key);
        checkSize(key, requireBuffer(data, "data").remaining());
        if (!capabilities().conditionalPut()) {
            throw new UnsupportedOperationException(name() + " cannot put-if-absent atomically");
        }
        ByteBuffer view = data.duplicate();
        counted(() -> {
            doPutIfAbsent(namespace, key, view);
            return null;
        });
        metrics.put(data.remaining());
    }

    @Override
    public final ByteBuffer get(String namespace, String key) {
        checkObject(namespace, key);
        ByteBuffer result = counted(() -> doGet(namespace, key));
        metrics.get(result.remaining());
        return result;
    }

    @Override
    public final void read(String namespace, String key, long offset, ByteBuffer dst) {
        checkObject(namespace, key);
        requireBuffer(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst must be writable");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0: " + offset);
        }
        int length = dst.remaining();
        if (length == 0) {
            long size = stat(namespace, key).size();
            if (offset > size) {
                throw pastEnd(namespace, key, offset, 0, size);
            }
            return;
        }
        int start = dst.position();
        try {
            counted(() -> {
                doRead(namespace, key, offset, dst);
                return null;
            });
        } catch (RuntimeException e) {
            dst.position(start);
            throw e;
        }
        if (dst.position() != start + length) {
            dst.position(start);
            throw new BackendException(name() + ": short read of " + namespace + "/" + key + " at " + offset);
        }
        metrics.get(length);
    }

    @Override
    public final ObjectInfo stat(String namespace, String key) {
        checkObject(namespace, key);
        return counted(() -> doStat(namespace, key));
    }

    @Override
    public final void delete(String namespace, String key) {
        checkObject(namespace, key);
        counted(() -> {
            doDelete(namespace, key);
            return null;
        });
        metrics.delete();
    }

    @Override
    public final ObjectPage list(String namespace, String prefix, String startAfter, int limit) {
        checkOpen();
        Names.checkNamespace(namespace);
        Names.checkPrefix(prefix);
        Names.checkPrefix(startAfter);
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException("limit must be 1 to 10000: " + limit);
        }
        metrics.list();
        return counted(() -> doList(namespace, prefix == null ? "" : prefix, startAfter, limit));
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            doClose();
        }
    }

    protected final boolean isClosed() {
        return closed.get();
    }

    /** Wraps a missing namespace or object into the standard message. */
    protected final NotFoundException notFound(String namespace, String key) {
        return key == null
                ? new NotFoundException(name() + ": namespace '" + namespace + "' does not exist")
                : new NotFoundException(name() + ": object '" + key + "' not found in namespace '" + namespace + "'");
    }

    /** The standard message for a ranged read past the end. */
    protected final IllegalArgumentException pastEnd(String namespace, String key, long offset, int length, long size) {
        return new IllegalArgumentException("range offset=" + offset + " length=" + length + " passes the end of "
                + namespace + "/" + key + " (size " + size + ")");
    }

    private void checkObject(String namespace, String key) {
        checkOpen();
        Names.checkNamespace(namespace);
        Names.checkKey(key, capabilities().maxKeyLength());
    }

    private void checkSize(String key, long size) {
        long max = capabilities().maxObjectSize();
        if (size > max) {
            throw new IllegalArgumentException("object '" + key + "' is " + size + " bytes, more than " + name()
                    + "'s limit of " + max);
        }
    }

    private static ByteBuffer requireBuffer(ByteBuffer buffer, String name) {
        if (buffer == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return buffer;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException(name() + " is closed");
        }
    }

    private <T> T counted(java.util.function.Supplier<T> op) {
        try {
            return op.get();
        } catch (BackendUnavailableException | CorruptDataException e) {
            metrics.error();
            throw e;
        }
    }
}
