package io.scoria.accelerator.foc.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The two daemon threads of one FOC volume: {@link #requests()} applies its queued requests in
 * order ({@code foc-volume-<id>}), {@link #persister()} makes its removals durable
 * ({@code foc-persist-<id>}) so that their fsyncs never hold up the appends. {@link #close} drains
 * the persister first, then runs a last task on the request thread and stops it.
 *
 * <p>Thread-safe. Holds no locks or buffers of its own.
 */
final class VolumeThreads {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeThreads.class);

    private final String volumeId;
    private final ExecutorService requests;
    private final ExecutorService persister;

    VolumeThreads(String volumeId) {
        this.volumeId = volumeId;
        this.requests = single("foc-volume-" + volumeId);
        this.persister = single("foc-persist-" + volumeId);
    }

    private static ExecutorService single(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    ExecutorService requests() {
        return requests;
    }

    ExecutorService persister() {
        return persister;
    }

    /**
     * Waits (up to 10 s each) for the persister, then for the queued requests followed by
     * {@code last}, and stops both threads; idempotent ({@code last} runs once).
     */
    void close(Runnable last) {
        if (requests.isShutdown()) {
            return;
        }
        persister.shutdown();
        await(persister, "removals still being made durable");
        try {
            requests.execute(last);
        } catch (RuntimeException e) {
            return;
        }
        requests.shutdown();
        await(requests, "requests still running");
    }

    private void await(ExecutorService e, String what) {
        try {
            if (!e.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("FOC volume {}: {} after 10 s at close", volumeId, what);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
