package io.scoria.benchmarks.volume;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.Capabilities;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.ObjectStore;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * Benchmark helper: delegates to a real store, but while {@code deferPuts} is set every put
 * fails as "unavailable", so the engine keeps its sealed SCOs local and retries later. This
 * separates the cost of the write path from the cost of uploads sharing the same disk.
 */
final class DeferringStore extends AbstractObjectStore {
    private final ObjectStore delegate;
    volatile boolean deferPuts;

    DeferringStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    private void check(String key) {
        if (deferPuts) {
            throw new BackendUnavailableException("deferred put of " + key + " (benchmark)");
        }
    }

    @Override
    public String name() {
        return "deferring(" + delegate.name() + ")";
    }

    @Override
    public Capabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        return delegate.createNamespace(namespace);
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        return delegate.deleteNamespace(namespace);
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        return delegate.namespaceExists(namespace);
    }

    @Override
    protected List<String> doListNamespaces() {
        return delegate.listNamespaces();
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        check(key);
        delegate.put(namespace, key, data);
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        check(key);
        delegate.put(namespace, key, file);
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        check(key);
        delegate.putIfAbsent(namespace, key, data);
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        return delegate.get(namespace, key);
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        delegate.read(namespace, key, offset, dst);
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        return delegate.stat(namespace, key);
    }

    @Override
    protected void doDelete(String namespace, String key) {
        delegate.delete(namespace, key);
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        return delegate.list(namespace, prefix, startAfter, limit);
    }

    @Override
    protected void doClose() {
        delegate.close();
    }
}
