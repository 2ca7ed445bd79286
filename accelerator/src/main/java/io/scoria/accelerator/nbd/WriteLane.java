package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.PlatformDependent;

import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The write lane of one NBD connection: plain (non-FUA) writes queue here and one worker applies
 * every write that has arrived, one after another, gathering the replies of those acknowledged at
 * once into one buffer and their completions into one count, so a burst of writes costs one worker
 * wake-up and one event-loop wake-up instead of one each per write (writes to one volume serialise
 * on its append lock anyway).
 *
 * <p>Threads: {@link #offer} from the event loop; the drain runs on a worker, one at a time. The
 * gathered replies and count are only touched by the draining thread ({@link #onLaneThread}).
 */
final class WriteLane {
    /** Most writes one hand-off applies before it yields its worker to other connections. */
    private static final int BATCH = 256;

    /** A plain write waiting in the lane; owns {@code payload} until it ran or was refused. */
    record Write(long cookie, long offset, WritePayload payload) {
    }

    /** What the lane needs of its connection. */
    interface Target {
        /** Applies {@code w} and answers it (possibly later); releases its payload. */
        void apply(Write w);

        /** Refuses {@code w} because the server is shutting down; releases its payload. */
        void refuse(Write w);

        /** Sends gathered replies (ownership passes). */
        void sendBatch(ByteBuf replies);

        /** {@code n} requests were answered. */
        void completed(int n);
    }

    private final Queue<Write> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Executor workers;
    private final ByteBufAllocator alloc;
    private final Target target;
    private final Runnable drain = this::drain;
    private Thread laneThread;
    private ByteBuf replies;
    private int completed;

    WriteLane(Executor workers, ByteBufAllocator alloc, Target target) {
        this.workers = workers;
        this.alloc = alloc;
        this.target = target;
    }

    /** Queues a write and wakes a worker for it unless one is draining the lane. */
    void offer(Write w) {
        queue.offer(w);
        schedule();
    }

    /** True on the thread draining the lane: replies and completions are gathered, not sent. */
    boolean onLaneThread() {
        return Thread.currentThread() == laneThread;
    }

    /** On the lane thread: a successful reply for {@code cookie}, sent when the batch ends. */
    void gatherOk(long cookie) {
        if (replies == null) {
            replies = alloc.buffer(16 * 64);
        }
        NbdReplies.writeOk(replies, cookie);
    }

    /** On the lane thread: one request answered, counted when the batch ends. */
    void gatherCompleted() {
        completed++;
    }

    private void schedule() {
        if (!scheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            workers.execute(drain);
        } catch (RejectedExecutionException e) {
            Write w;
            while ((w = queue.poll()) != null) {
                target.refuse(w);
            }
            scheduled.set(false);
        }
    }

    private void drain() {
        laneThread = Thread.currentThread();
        int n = 0;
        try {
            Write w;
            while (n < BATCH && (w = queue.poll()) != null) {
                n++;
                target.apply(w);
            }
        } finally {
            laneThread = null;
            ByteBuf batch = replies;
            replies = null;
            if (batch != null) {
                target.sendBatch(batch);
            }
            int answered = completed;
            completed = 0;
            if (answered > 0) {
                target.completed(answered);
            }
            scheduled.set(false);
        }
        if (!queue.isEmpty()) {
            schedule(); // more arrived, or the batch limit was hit: yield the worker, then go on
        }
    }
}
