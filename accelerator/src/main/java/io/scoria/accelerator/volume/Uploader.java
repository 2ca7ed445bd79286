package io.scoria.accelerator.volume;

import org.jctools.queues.MpscUnboundedArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The background worker that moves sealed SCOs, then TLogs, then manifests to the backend, in
 * the order they were queued (one FIFO for the node, fed through a lock-free jctools queue).
 * A failing task is retried with exponential backoff until it succeeds or its volume drops it
 * (rollback, reset, delete: {@link Task#obsolete()}); tasks behind it wait, which keeps the
 * per-volume order SCOs → TLog → manifest. Thread-safe; {@link #close()} is idempotent.
 */
final class Uploader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Uploader.class);

    /** One unit of background work. */
    interface Task {
        /** Does the work; throws to be retried. */
        void run();

        /** True when the task must be skipped (its volume moved on). */
        boolean obsolete();

        String describe();

        /** Called once the task has left the queue for good (run, or dropped as obsolete), on the upload thread. */
        default void finished() {
        }
    }

    private static final long WARN_INTERVAL_NANOS = 30_000_000_000L;

    private final MpscUnboundedArrayQueue<Task> queue = new MpscUnboundedArrayQueue<>(256);
    private final Thread thread;
    private final Duration retryMin;
    private final Duration retryMax;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong done = new AtomicLong();
    /** Tasks taken from the queue (the one being run, if any, is the last). */
    private final AtomicLong taken = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean closed;

    Uploader(String name, Duration retryMin, Duration retryMax) {
        this.retryMin = retryMin;
        this.retryMax = retryMax;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    void submit(Task task) {
        if (closed) {
            return;
        }
        queued.incrementAndGet();
        queue.offer(task);
        LockSupport.unpark(thread);
    }

    /** Tasks queued and not yet finished or dropped. */
    long pending() {
        return queued.get() - done.get();
    }

    long failures() {
        return failures.get();
    }

    /** Waits until every task queued so far is finished; false on timeout. */
    boolean awaitIdle(Duration timeout) {
        return awaitDone(queued.get(), timeout);
    }

    /** Waits until {@code target} tasks are finished or dropped; false on timeout. */
    private boolean awaitDone(long target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (done.get() < target) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return true;
    }

    /**
     * Waits until the task being run now, if any, is finished or dropped (tasks still queued check
     * {@link Task#obsolete()} before they start); false on timeout. A volume being deleted calls it
     * after it made its tasks obsolete, so no upload of it can land after its namespace is deleted.
     */
    boolean awaitRunning(Duration timeout) {
        return awaitDone(taken.get(), timeout);
    }

    private void loop() {
        while (!closed) {
            Task t = queue.poll();
            if (t == null) {
                LockSupport.parkNanos(50_000_000);
                continue;
            }
            taken.incrementAndGet();
            long delay = retryMin.toNanos();
            long nextWarning = System.nanoTime();
            int attempts = 0;
            while (!closed) {
                if (t.obsolete()) {
                    break;
                }
                try {
                    t.run();
                    if (attempts > 0) {
                        LOG.info("upload {} succeeded after {} failed attempts", t.describe(), attempts);
                    }
                    break;
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    attempts++;
                    // every later upload waits behind this one: say so, at most every 30 s per task
                    if (System.nanoTime() - nextWarning >= 0) {
                        LOG.warn("upload {} failed ({} attempts so far; later uploads wait), retrying: {}", t.describe(),
                                attempts, e.toString());
                        nextWarning = System.nanoTime() + WARN_INTERVAL_NANOS;
                    } else {
                        LOG.debug("upload {} failed, retrying in {} ms: {}", t.describe(), delay / 1_000_000, e.toString());
                    }
                    sleep(Math.max(delay, 1_000_000));
                    delay = Math.min(retryMax.toNanos(), Math.max(delay * 2, 1_000_000));
                }
            }
            done.incrementAndGet();
            try {
                t.finished();
            } catch (RuntimeException e) {
                LOG.warn("upload {}: finishing failed: {}", t.describe(), e.toString());
            }
        }
    }

    /** Sleeps {@code nanos} (submissions unpark this thread; a retry must still wait its back-off) unless closed. */
    private void sleep(long nanos) {
        long end = System.nanoTime() + nanos;
        for (long left = nanos; left > 0 && !closed; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
