package io.scoria.accelerator.iscsi;

import io.netty.channel.Channel;
import io.scoria.accelerator.frontend.MemoryBudget;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Back-pressure of one iSCSI connection: the bytes of command data it holds, against its own cap
 * ({@link IscsiLimits#maxInFlightBytes()}) and the node's {@link MemoryBudget}. When a command
 * cannot take its bytes, or the socket's outbound buffer is above its high water mark, the
 * connection stops reading; {@code resume} runs on the event loop once bytes come back or the
 * socket drained.
 *
 * <p>Threads: {@link #tryTake} and {@link #pause} on the event loop; {@link #giveBack} and
 * {@link #wake} on any thread.
 */
final class ConnectionFlow {
    private final Channel channel;
    private final long cap;
    private final MemoryBudget node;
    private final Runnable resume;
    private final AtomicLong held = new AtomicLong();
    private volatile boolean paused;

    ConnectionFlow(Channel channel, long cap, MemoryBudget node, Runnable resume) {
        this.channel = channel;
        this.cap = cap;
        this.node = node;
        this.resume = resume;
    }

    /** Takes {@code n} bytes, or pauses reading and returns false. Alone, a connection may take one command's worth. */
    boolean tryTake(long n) {
        if (n == 0) {
            return true;
        }
        long mine = held.get();
        if (mine > 0 && mine + n > cap) {
            pause();
            return false;
        }
        if (node.tryAcquire(n)) {
            held.addAndGet(n);
            return true;
        }
        pause();
        node.awaitRelease(n, this::wake);
        return false;
    }

    void giveBack(long n) {
        if (n > 0) {
            held.addAndGet(-n);
            node.release(n);
            wake();
        }
    }

    long held() {
        return held.get();
    }

    boolean paused() {
        return paused;
    }

    void pause() {
        paused = true;
        channel.config().setAutoRead(false);
    }

    /** Something that may let a paused connection go on happened: schedule {@code resume}. */
    void wake() {
        if (paused) {
            try {
                channel.eventLoop().execute(resume);
            } catch (RejectedExecutionException e) {
                // the server is shutting down; the connection is gone
            }
        }
    }

    /** Called by {@code resume} when nothing waits any more: read again. */
    void resumed() {
        paused = false;
        channel.config().setAutoRead(true);
    }
}
