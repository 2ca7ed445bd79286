package io.scoria.accelerator.idle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The node's one thread ({@code scoria-idle-sweeper}) that runs {@link IdleVolumes#sweep} every
 * {@link IdleSettings#sweepEvery()}: no timer, task or thread per volume. Idle volumes cost one look
 * per sweep (a few fields of their gate). {@link #close()} stops it and waits for a sweep running; idempotent.
 */
public final class IdleSweeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdleSweeper.class);
    private final ScheduledExecutorService thread;

    /** @param pinned true for a volume that must stay open (an attached NBD connection or iSCSI session) */
    public IdleSweeper(IdleVolumes volumes, Predicate<String> pinned) {
        Objects.requireNonNull(volumes, "volumes");
        Objects.requireNonNull(pinned, "pinned");
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scoria-idle-sweeper");
            t.setDaemon(true);
            return t;
        });
        long every = volumes.settings().sweepEvery().toMillis();
        thread.scheduleWithFixedDelay(() -> {
            try {
                volumes.sweep(pinned);
            } catch (RuntimeException e) {
                LOG.warn("idle sweep failed, trying again in {} ms: {}", every, e.toString());
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        thread.shutdown(); // not interrupted: a volume being closed finishes its close
        try {
            thread.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
