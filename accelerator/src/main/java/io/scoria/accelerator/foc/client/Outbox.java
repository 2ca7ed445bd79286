package io.scoria.accelerator.foc.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.protocol.FocProtocol;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.Executor;

/**
 * What a {@link FocClient} sends on its registered connection: the queue of sealed batches and
 * control requests (FLUSH, REMOVE_UP_TO, GET_ENTRIES, UNREGISTER) in the order they were
 * queued, the window of at most {@code maxInFlightBatches} unacknowledged ADD_ENTRIES frames, and
 * the re-send of every kept batch after a (re)registration.
 *
 * <p>Threads and locks: the {@code ...Locked} methods run under the client's lock, from any
 * thread. {@link #sendQueued()} runs on the client's I/O thread only (so frames reach the socket
 * in queue order): under the lock it only takes requests off the queue, with a reference to each
 * batch's entries; the frames are built (CRC32C over the entries) and written after the lock is
 * released.
 *
 * <p>Buffers: the batches belong to {@link KeptEntries}; a frame being sent holds its own
 * reference ({@code retainedSlice}) that the channel releases once written.
 */
final class Outbox {
    private final Object lock;
    private final FocClientConfig config;
    private final KeptEntries kept;
    private final ByteBufAllocator alloc;
    private final Executor io;
    private final Runnable sendTask = this::sendQueued;

    // guarded by lock
    /** Sealed batches ({@link Batch}) and control requests ({@link Pending}), in send order. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private Connection conn;
    private int inFlight;
    private long addFramesSent;
    private int resendOutstanding;
    private boolean sendScheduled;

    Outbox(Object lock, FocClientConfig config, KeptEntries kept, ByteBufAllocator alloc, Executor io) {
        this.lock = lock;
        this.config = config;
        this.kept = kept;
        this.alloc = alloc;
        this.io = io;
    }

    /** The registered connection, or null. */
    Connection connectionLocked() {
        return conn;
    }

    long addFramesSentLocked() {
        return addFramesSent;
    }

    /** True once every batch re-sent after the last registration was acknowledged. */
    boolean resendDoneLocked() {
        return resendOutstanding == 0;
    }

    /** Queues a batch that {@link KeptEntries} just sealed. */
    void enqueueLocked(Batch b) {
        queue.add(b);
    }

    /**
     * Wakes the I/O thread to send, unless the window of unacknowledged ADD frames is full: then
     * everything queued waits behind a batch anyway, and the next acknowledgement sends it
     * ({@link #ackedLocked}), so a write adds no thread wake-up while a round trip is under way.
     */
    void scheduleLocked() {
        if (conn != null && !sendScheduled && inFlight < config.maxInFlightBatches()) {
            sendScheduled = true;
            io.execute(sendTask);
        }
    }

    /** Queues a control request behind every entry appended so far; requires a registered connection. */
    Pending queueControlLocked(byte op, long arg, FocEntryConsumer consumer) {
        kept.sealOpen();
        Pending p = new Pending(op, conn.nextRequestId(), null, arg, consumer);
        p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
        queue.add(p);
        scheduleLocked();
        return p;
    }

    /**
     * {@code c} registered: it becomes the connection sent on; the removal watermark (if any) and
     * every kept batch are queued again, oldest first. Returns the number of batches to re-send;
     * the caller then calls {@link #sendQueued()} on the I/O thread.
     */
    int attachLocked(Connection c, Pending removal) {
        conn = c;
        inFlight = 0;
        kept.sealOpen();
        queue.clear();
        resendOutstanding = 0;
        if (removal != null) {
            queue.add(removal);
        }
        for (Batch b : kept.sealedBatches()) {
            b.inResend = true;
            b.sentOn = null;
            resendOutstanding++;
            queue.add(b);
        }
        sendScheduled = true;
        return resendOutstanding;
    }

    /** The connection is gone: nothing is in flight or queued any more (kept batches stay kept). */
    void detachLocked() {
        conn = null;
        inFlight = 0;
        queue.clear();
        resendOutstanding = 0;
        for (Batch b : kept.sealedBatches()) {
            b.inResend = false;
            b.sentOn = null;
        }
    }

    /** Batch {@code b} was acknowledged on {@code c}; false if {@code c} is no longer the connection. */
    boolean ackedLocked(Connection c, Batch b) {
        if (conn != c) {
            return false;
        }
        inFlight--;
        if (b.inResend) {
            b.inResend = false;
            resendOutstanding--;
        }
        return true;
    }

    /** Called by {@link KeptEntries#removeUpTo} for each batch it drops: a pending re-send of it is off. */
    void droppingLocked(Batch b) {
        if (b.inResend && b.sentOn != conn) {
            b.inResend = false;
            resendOutstanding--;
        }
    }

    /** Forgets queued batches that were released (removed, unregistered or closed). */
    void forgetReleasedLocked() {
        queue.removeIf(o -> o instanceof Batch && ((Batch) o).released);
    }

    /** Forgets every queued batch (after UNREGISTER). */
    void forgetBatchesLocked() {
        queue.removeIf(o -> o instanceof Batch);
    }

    /** Forgets everything queued and the connection (at close). */
    void clearLocked() {
        queue.clear();
        conn = null;
    }

    /** On the I/O thread: sends queued batches (within the window) and control requests, in order. */
    void sendQueued() {
        Connection c;
        ArrayList<Pending> out = null;
        synchronized (lock) {
            sendScheduled = false;
            c = conn;
            if (c == null) {
                return;
            }
            while (true) {
                if (queue.isEmpty()) {
                    if (inFlight >= config.maxInFlightBatches() || !kept.hasOpenEntries()) {
                        break;
                    }
                    kept.sealOpen();
                }
                Object head = queue.peek();
                Pending p;
                if (head instanceof Batch) {
                    if (inFlight >= config.maxInFlightBatches()) {
                        break;
                    }
                    Batch b = (Batch) queue.poll();
                    p = new Pending(FocProtocol.ADD_ENTRIES, c.nextRequestId(), b, 0, null);
                    p.body = b.entries.retainedSlice();
                    p.count = b.count;
                    b.sentOn = c;
                    inFlight++;
                    addFramesSent++;
                } else {
                    p = (Pending) queue.poll();
                }
                p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
                c.pending.put(p.requestId, p);
                if (out == null) {
                    out = new ArrayList<>();
                }
                out.add(p);
            }
        }
        if (out != null) {
            write(c, out);
        }
    }

    private void write(Connection c, ArrayList<Pending> out) {
        for (Pending p : out) { // only the I/O thread writes to the channel: the order stays
            if (p.body != null) {
                ByteBuf h = FocProtocol.begin(alloc, FocProtocol.ADD_ENTRIES, p.requestId, 4).writeInt(p.count);
                ByteBuf body = p.body;
                p.body = null;
                c.channel.write(FocProtocol.finishWithBody(alloc, h, body));
            } else {
                ByteBuf f = FocProtocol.begin(alloc, p.opcode, p.requestId, 8);
                if (p.opcode == FocProtocol.REMOVE_UP_TO) {
                    f.writeLong(p.argument);
                }
                c.channel.write(FocProtocol.finish(f));
            }
        }
        c.channel.flush();
    }
}
