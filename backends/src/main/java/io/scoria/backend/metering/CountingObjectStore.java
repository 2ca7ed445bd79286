package io.scoria.backend.metering;

import io.scoria.backend.Capabilities;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.transform.TransformingObjectStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An {@link ObjectStore} that counts the requests and bytes it passes to another store, per
 * namespace, in a {@link RequestLedger} under its label. One call of this store is one request
 * of the kind {@link RequestKind} names: put and put-if-absent and namespace creation are PUTs,
 * {@link #get(String, String)} a GET, {@link #read} a ranged GET (a HEAD when it reads no
 * bytes), stat and namespace existence HEADs, list and namespace listing LISTs, deletes DELETEs.
 * The composed default methods ({@code exists}, {@code listAll}, ranged {@code get}, the
 * {@code *Async} variants) run through these, so each request they make is counted once.
 *
 * <p>A call refused for a bad argument, a closed store or a missing capability never reached
 * the backend and is not counted; one that failed at the backend (not found, unavailable,
 * precondition failed) is, as providers bill it. Bytes count only when the call succeeded.
 * A store that makes several requests for one call counts as one request: the S3 store asks
 * whether a bucket exists before creating it (a HEAD, then the PUT) and after a stat found no
 * object (a second HEAD, so that the error names what is missing); deleting a namespace lists and
 * deletes its objects; an upload over the S3 multipart threshold (512 MiB by default) is parts + 2
 * requests. None of these is on the path of writes or reads of volume data, where one call is one
 * request ({@code BackendRequestCountsIT} compares the counts with s3proxy's request log).
 *
 * <p>Thread-safe as the store it wraps. Buffers are passed through untouched: the caller keeps
 * ownership as {@link ObjectStore} says. Closing closes the wrapped store.
 */
public final class CountingObjectStore implements ObjectStore {
    private final ObjectStore delegate;
    private final String label;
    private final RequestLedger ledger;

    /**
     * @param delegate the store the requests go to; this store owns and closes it
     * @param label    the store's label in the ledger and in metrics ({@code s3}, {@code distributor/a})
     * @param ledger   where the counts go; shared by every store of one backend
     */
    public CountingObjectStore(ObjectStore delegate, String label, RequestLedger ledger) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.label = Objects.requireNonNull(label, "label");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    /** The counting layer of {@code store}: itself, or the one under its transforming layer; empty if none. */
    public static Optional<CountingObjectStore> find(ObjectStore store) {
        ObjectStore s = store instanceof TransformingObjectStore t ? t.delegate() : store;
        return s instanceof CountingObjectStore c ? Optional.of(c) : Optional.empty();
    }

    /** The store under the transforming and counting layers of {@code store} (to find the store type underneath). */
    public static ObjectStore underlying(ObjectStore store) {
        ObjectStore s = store instanceof TransformingObjectStore t ? t.delegate() : store;
        return s instanceof CountingObjectStore c ? c.delegate : s;
    }

    public ObjectStore delegate() {
        return delegate;
    }

    /** This store's label in the ledger. */
    public String label() {
        return label;
    }

    public RequestLedger ledger() {
        return ledger;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Capabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    public boolean createNamespace(String namespace) {
        return counted(namespace, RequestKind.PUT, () -> delegate.createNamespace(namespace));
    }

    @Override
    public boolean deleteNamespace(String namespace) {
        return counted(namespace, RequestKind.DELETE, () -> delegate.deleteNamespace(namespace));
    }

    @Override
    public boolean namespaceExists(String namespace) {
        return counted(namespace, RequestKind.HEAD, () -> delegate.namespaceExists(namespace));
    }

    @Override
    public List<String> listNamespaces() {
        return counted(null, RequestKind.LIST, delegate::listNamespaces);
    }

    @Override
    public void put(String namespace, String key, ByteBuffer data) {
        long bytes = data == null ? 0 : data.remaining();
        counted(namespace, RequestKind.PUT, () -> {
            delegate.put(namespace, key, data);
            return null;
        });
        ledger.counters(label, namespace).bytesIn(bytes);
    }

    @Override
    public void put(String namespace, String key, Path file) {
        long bytes = sizeOf(file);
        counted(namespace, RequestKind.PUT, () -> {
            delegate.put(namespace, key, file);
            return null;
        });
        ledger.counters(label, namespace).bytesIn(bytes);
    }

    @Override
    public void putIfAbsent(String namespace, String key, ByteBuffer data) {
        long bytes = data == null ? 0 : data.remaining();
        counted(namespace, RequestKind.PUT, () -> {
            delegate.putIfAbsent(namespace, key, data);
            return null;
        });
        ledger.counters(label, namespace).bytesIn(bytes);
    }

    @Override
    public ByteBuffer get(String namespace, String key) {
        ByteBuffer result = counted(namespace, RequestKind.GET, () -> delegate.get(namespace, key));
        ledger.counters(label, namespace).bytesOut(result.remaining());
        return result;
    }

    @Override
    public void read(String namespace, String key, long offset, ByteBuffer dst) {
        int length = dst == null ? 0 : dst.remaining();
        counted(namespace, length == 0 ? RequestKind.HEAD : RequestKind.RANGED_GET, () -> {
            delegate.read(namespace, key, offset, dst);
            return null;
        });
        ledger.counters(label, namespace).bytesOut(length);
    }

    @Override
    public ObjectInfo stat(String namespace, String key) {
        return counted(namespace, RequestKind.HEAD, () -> delegate.stat(namespace, key));
    }

    @Override
    public void delete(String namespace, String key) {
        counted(namespace, RequestKind.DELETE, () -> {
            delegate.delete(namespace, key);
            return null;
        });
    }

    @Override
    public ObjectPage list(String namespace, String prefix, String startAfter, int limit) {
        return counted(namespace, RequestKind.LIST, () -> delegate.list(namespace, prefix, startAfter, limit));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "counting(" + label + ": " + delegate.name() + ")";
    }

    private <T> T counted(String namespace, RequestKind kind, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException refused) {
            throw refused;
        } catch (RuntimeException failed) {
            ledger.counters(label, namespace).request(kind);
            throw failed;
        }
        ledger.counters(label, namespace).request(kind);
        return result;
    }

    /** The file's size; 0 when it cannot be read (the wrapped store then refuses the file itself). */
    private static long sizeOf(Path file) {
        try {
            return file == null ? 0 : Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
