package io.scoria.accelerator.nbd;

import io.netty.channel.Channel;
import io.scoria.accelerator.frontend.MemoryBudget;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Back-pressure of one NBD connection: how many requests and how many bytes of request data it
 * has in flight, against its own caps ({@code maxInFlight}, {@link NbdLimits#maxInFlightBytes()}),
 * the node's {@link MemoryBudget} and the socket's outbound water marks. When a request may not
 * start, reading from the socket stops (the request stays in the decoder's buffer) until a
 * completion, a release of bytes or the socket draining schedules {@code resume} on the event loop.
 *
 * <p>Threads: {@link #mayStart} and {@link #tryAcquire} run on the connection's event loop only;
 * {@link #completed}, {@link #release} and {@link #writable} on any thread.
 */
final class RequestFlow {
    private final Channel channel;
    private final int maxInFlight;
    private final long maxBytes;
    private final MemoryBudget node;
    private final Runnable resume;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean paused = new AtomicBoolean();
    private final AtomicBoolean awaitingNode = new AtomicBoolean();
    private final BooleanSupplier roomForRequest = this::roomForRequest;
    private final Runnable nodeReleased = this::nodeReleased;

    /** @param resume runs on the event loop after a pause: decode what waited, read again */
    RequestFlow(Channel channel, int maxInFlight, long maxBytes, MemoryBudget node, Runnable resume) {
        this.channel = channel;
        this.maxInFlight = maxInFlight;
        this.maxBytes = maxBytes;
        this.node = node;
        this.resume = resume;
    }

    /** True if another request may be decoded now; otherwise reading is paused. Counts nothing. */
    boolean mayStart() {
        return proceedOrPause(roomForRequest);
    }

    /** Counts a request in flight until {@link #completed}. */
    void started() {
        inFlight.incrementAndGet();
    }

    /**
     * Takes {@code n} bytes of request data for this connection, or pauses reading and returns false.
     * A connection with nothing in flight may always take one request's worth (if the node has it).
     */
    boolean tryAcquire(long n) {
        long mine = bytes.get();
        if (mine > 0 && mine + n > maxBytes) {
            return proceedOrPause(() -> false); // a release of this connection resumes it
        }
        if (node.tryAcquire(n)) {
            bytes.addAndGet(n);
            return true;
        }
        pause();
        if (awaitingNode.compareAndSet(false, true)) {
            node.awaitRelease(n, nodeReleased);
        }
        return false;
    }

    /** Returns {@code n} bytes taken by {@link #tryAcquire}. */
    void release(long n) {
        bytes.addAndGet(-n);
        node.release(n);
        resumeIfPaused();
    }

    /** {@code requests} requests were answered. Returns the number still in flight. */
    int completed(int requests) {
        int now = inFlight.addAndGet(-requests);
        if (now <= maxInFlight / 2) {
            resumeIfPaused();
        }
        return now;
    }

    /** The socket drained below its low water mark. */
    void writable() {
        resumeIfPaused();
    }

    int inFlight() {
        return inFlight.get();
    }

    long bytes() {
        return bytes.get();
    }

    boolean paused() {
        return paused.get();
    }

    private boolean roomForRequest() {
        return inFlight.get() < maxInFlight && channel.isWritable();
    }

    private void nodeReleased() {
        awaitingNode.set(false);
        resumeIfPaused();
    }

    private boolean proceedOrPause(BooleanSupplier ok) {
        if (ok.getAsBoolean()) {
            return true;
        }
        pause();
        // a completion between the check and the pause found nothing paused: check again
        if (!ok.getAsBoolean() || !paused.compareAndSet(true, false)) {
            return false;
        }
        channel.config().setAutoRead(true);
        return true;
    }

    private void pause() {
        paused.set(true);
        channel.config().setAutoRead(false);
    }

    private void resumeIfPaused() {
        if (paused.compareAndSet(true, false)) {
            try {
                channel.eventLoop().execute(resume);
            } catch (RejectedExecutionException e) {
                // server shutting down: the connection is gone
            }
        }
    }
}
