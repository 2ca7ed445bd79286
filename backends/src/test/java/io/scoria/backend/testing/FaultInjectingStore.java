package io.scoria.backend.testing;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.Capabilities;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.ObjectStore;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Wraps a store and injects faults: an error predicate evaluated per call, a latency per call,
 * and an on/off switch that makes the store "down" (every call fails with
 * {@link BackendUnavailableException}) until switched back. Its {@link #metrics()} count the
 * calls that reached it, so tests can assert how many GETs a code path made.
 * Test fixture only. Thread-safe.
 */
public final class FaultInjectingStore extends AbstractObjectStore {

    /** The operations a fault can target. */
    public enum Op { CREATE_NAMESPACE, DELETE_NAMESPACE, NAMESPACE_EXISTS, LIST_NAMESPACES, PUT, GET, READ, STAT, DELETE, LIST }

    /** One call as the predicates see it; {@code key} is null for namespace operations. */
    public record Call(Op op, String namespace, String key) {
    }

    private final ObjectStore delegate;
    private volatile boolean down;
    private volatile Predicate<Call> failWhen = c -> false;
    private volatile Function<Call, Duration> latency = c -> Duration.ZERO;
    private final AtomicLong injectedFailures = new AtomicLong();

    public FaultInjectingStore(ObjectStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** Every call fails while down. */
    public FaultInjectingStore down(boolean isDown) {
        this.down = isDown;
        return this;
    }

    public boolean isDown() {
        return down;
    }

    /** Calls matching the predicate fail with {@link BackendUnavailableException}. */
    public FaultInjectingStore failWhen(Predicate<Call> predicate) {
        this.failWhen = Objects.requireNonNull(predicate, "predicate");
        return this;
    }

    /** Every call first sleeps for the returned duration. */
    public FaultInjectingStore latency(Function<Call, Duration> perCall) {
        this.latency = Objects.requireNonNull(perCall, "perCall");
        return this;
    }

    /** Removes the predicate, the latency and the outage. */
    public FaultInjectingStore heal() {
        down = false;
        failWhen = c -> false;
        latency = c -> Duration.ZERO;
        return this;
    }

    public long injectedFailures() {
        return injectedFailures.get();
    }

    public ObjectStore delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return "faulty(" + delegate.name() + ")";
    }

    @Override
    public Capabilities capabilities() {
        return delegate.capabilities();
    }

    private void before(Op op, String namespace, String key) {
        Call call = new Call(op, namespace, key);
        Duration delay = latency.apply(call);
        if (!delay.isZero()) {
            try {
                Thread.sleep(delay.toMillis(), (int) (delay.toNanosPart() % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendUnavailableException(name() + ": interrupted during injected latency", e);
            }
        }
        if (down) {
            injectedFailures.incrementAndGet();
            throw new BackendUnavailableException(name() + ": store is down (injected) during " + op + " "
                    + namespace + (key == null ? "" : "/" + key));
        }
        if (failWhen.test(call)) {
            injectedFailures.incrementAndGet();
            throw new BackendUnavailableException(name() + ": injected failure of " + op + " " + namespace
                    + (key == null ? "" : "/" + key));
        }
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        before(Op.CREATE_NAMESPACE, namespace, null);
        return delegate.createNamespace(namespace);
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        before(Op.DELETE_NAMESPACE, namespace, null);
        return delegate.deleteNamespace(namespace);
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        before(Op.NAMESPACE_EXISTS, namespace, null);
        return delegate.namespaceExists(namespace);
    }

    @Override
    protected List<String> doListNamespaces() {
        before(Op.LIST_NAMESPACES, null, null);
        return delegate.listNamespaces();
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        before(Op.PUT, namespace, key);
        delegate.put(namespace, key, data);
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        before(Op.PUT, namespace, key);
        delegate.put(namespace, key, file);
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        before(Op.PUT, namespace, key);
        delegate.putIfAbsent(namespace, key, data);
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        before(Op.GET, namespace, key);
        return delegate.get(namespace, key);
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        before(Op.READ, namespace, key);
        delegate.read(namespace, key, offset, dst);
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        before(Op.STAT, namespace, key);
        return delegate.stat(namespace, key);
    }

    @Override
    protected void doDelete(String namespace, String key) {
        before(Op.DELETE, namespace, key);
        delegate.delete(namespace, key);
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        before(Op.LIST, namespace, null);
        return delegate.list(namespace, prefix, startAfter, limit);
    }

    @Override
    protected void doClose() {
        delegate.close();
    }
}
