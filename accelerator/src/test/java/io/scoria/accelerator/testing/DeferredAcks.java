package io.scoria.accelerator.testing;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeService;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A {@link VolumeService} wrapper whose volumes acknowledge writes later, as a fail-over cache in
 * sync mode does: {@link Volume#writeAsync} applies the write and returns a future the test
 * completes (or fails) from {@link #acks}. Everything else goes to the wrapped service. Thread-safe.
 */
public final class DeferredAcks {
    /** One entry per write that reached a volume: its pending acknowledgement, in arrival order. */
    public final LinkedBlockingQueue<CompletableFuture<Void>> acks = new LinkedBlockingQueue<>();

    /** {@code engine} with deferred acknowledgements. */
    public VolumeService wrap(VolumeService engine) {
        return (VolumeService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{VolumeService.class},
                (p, m, args) -> {
                    Object r = invoke(engine, m, args);
                    return m.getName().equals("open") ? defer((Volume) r) : r;
                });
    }

    /** Acknowledges every write still waiting. */
    public void completeAll() {
        acks.forEach(a -> a.complete(null));
    }

    private Volume defer(Volume v) {
        return (Volume) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Volume.class}, (p, m, args) -> {
            if (m.getName().equals("writeAsync")) {
                v.write((Long) args[0], (ByteBuffer) args[1], (Boolean) args[2]);
                CompletableFuture<Void> ack = new CompletableFuture<>();
                acks.add(ack);
                return ack;
            }
            return invoke(v, m, args);
        });
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
