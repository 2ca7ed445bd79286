package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.internal.PlatformDependent;
import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.metrics.NbdMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * The transmission phase of one connection. The event loop only decodes and validates
 * requests; volume I/O runs on the worker executor, so requests complete (and are answered)
 * in any order and a slow read never holds up others. Plain (non-FUA) writes take the
 * connection's write lane instead: one worker applies every write that has arrived, one after
 * another, and hands their replies to the event loop in one buffer, so a burst of writes costs
 * one worker wake-up and one event-loop wake-up instead of one each per write (writes to one
 * volume serialise on its append lock anyway). When {@code maxInFlight} requests are
 * outstanding the handler stops decoding (and reading from the socket) until half of them are
 * answered.
 *
 * <p>Buffers: a WRITE payload is copied once from the socket buffers into a pooled direct
 * buffer owned by the request and released after the volume call; a READ fills a pooled
 * buffer that already holds the reply header, which Netty releases after sending.
 */
final class NbdTransmissionHandler extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(NbdTransmissionHandler.class);
    private static final int HEADER = 28;

    private final NbdContext context;
    private final Volume volume;
    private final boolean readOnly;
    private final boolean structured;
    private final NbdMetrics metrics;
    private final int maxPayload;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean disconnecting;
    private final AtomicBoolean paused = new AtomicBoolean();
    private Channel channel;
    private ChannelHandlerContext ctxRef;

    /** Most writes one lane hand-off applies before it yields its worker to other connections. */
    private static final int LANE_BATCH = 256;
    private final Queue<LaneWrite> lane = PlatformDependent.newMpscQueue();
    private final AtomicBoolean laneScheduled = new AtomicBoolean();
    private final Runnable drainLane = this::drainLane;
    /**
     * The thread draining the lane, the replies it gathered and the requests it completed, which
     * count as answered only once those replies are on their way (all only touched by that thread).
     */
    private Thread laneThread;
    private ByteBuf laneReplies;
    private int laneCompleted;

    /** A plain write waiting in the lane; owns {@code payload} until it ran or was refused. */
    private record LaneWrite(long cookie, long offset, ByteBuf payload) {
    }

    // current request header
    private boolean haveHeader;
    private int flags;
    private int type;
    private long cookie;
    private long offset;
    private long length;
    private long skipRemaining;
    private ByteBuf payload; // WRITE payload being received; owned by this handler until dispatched

    NbdTransmissionHandler(NbdContext context, Volume volume, boolean readOnly, boolean structured) {
        this.context = context;
        this.volume = volume;
        this.readOnly = readOnly;
        this.structured = structured;
        this.metrics = context.metrics();
        this.maxPayload = context.config().maxPayload();
        this.maxInFlight = context.config().maxInFlight();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        ctxRef = ctx;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!disconnecting) {
            if (skipRemaining > 0) {
                int n = (int) Math.min(skipRemaining, in.readableBytes());
                in.skipBytes(n);
                skipRemaining -= n;
                if (skipRemaining > 0) {
                    return;
                }
            }
            if (!haveHeader) {
                if (inFlight.get() >= maxInFlight) {
                    // Back-pressure: leave further requests in the buffer and stop reading the
                    // socket until completions bring the count down (see completed()).
                    paused.set(true);
                    ctx.channel().config().setAutoRead(false);
                    if (inFlight.get() >= maxInFlight || !paused.compareAndSet(true, false)) {
                        return;
                    }
                    ctx.channel().config().setAutoRead(true); // all completed meanwhile
                }
                if (in.readableBytes() < HEADER) {
                    return;
                }
                int magic = in.readInt();
                if (magic != REQUEST_MAGIC) {
                    metrics.protocolError();
                    log.info("NBD client {} sent bad request magic 0x{}; closing", ctx.channel().remoteAddress(),
                            Integer.toHexString(magic));
                    in.skipBytes(in.readableBytes());
                    disconnecting = true;
                    ctx.close();
                    return;
                }
                flags = in.readUnsignedShort();
                type = in.readUnsignedShort();
                cookie = in.readLong();
                offset = in.readLong();
                length = in.readUnsignedInt();
                haveHeader = true;
            }
            if (type == CMD_WRITE) {
                if (length > maxPayload) {
                    // Stay in sync: discard the payload, then refuse the request.
                    haveHeader = false;
                    skipRemaining = length;
                    error(cookie, type, EINVAL, "write of " + length + " bytes exceeds the maximum " + maxPayload);
                    continue;
                }
                // Copy the payload into its own buffer as it arrives, so the inbound cumulation
                // never holds a whole write (no re-copying of partial payloads).
                if (payload == null) {
                    payload = ctx.alloc().directBuffer((int) length);
                }
                int n = Math.min(in.readableBytes(), payload.writableBytes());
                payload.writeBytes(in, n);
                if (payload.isWritable()) {
                    return;
                }
            }
            haveHeader = false;
            dispatch(ctx, in);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (payload != null) {
            payload.release();
            payload = null;
        }
    }

    private void dispatch(ChannelHandlerContext ctx, ByteBuf in) {
        final long c = cookie;
        final long off = offset;
        final int len = (int) length; // <= 2^32-1 fits in long; int only used where length <= maxPayload
        final long lenL = length;
        final int f = flags;
        final boolean fua = (f & CMD_FLAG_FUA) != 0;
        switch (type) {
            case CMD_READ -> {
                // FUA is valid on every command once SEND_FUA is advertised (proto.md); ignored here
                if (!checkFlags(c, type, f, CMD_FLAG_FUA)) {
                    return;
                }
                if (lenL == 0 || lenL > maxPayload) {
                    error(c, type, lenL == 0 ? EINVAL : EOVERFLOW, "read length " + lenL + " is 0 or above " + maxPayload);
                    return;
                }
                if (!inRange(off, lenL)) {
                    error(c, type, EINVAL, "read past the end of the export");
                    return;
                }
                submit(() -> doRead(c, off, len), c, type);
            }
            case CMD_WRITE -> {
                ByteBuf payload = this.payload;
                this.payload = null;
                String bad = !validFlags(f, CMD_FLAG_FUA) ? "unknown flags 0x" + Integer.toHexString(f)
                        : readOnly ? "export is read-only"
                        : lenL == 0 ? "zero-length write"
                        : !inRange(off, lenL) ? "write past the end of the export" : null;
                if (bad != null) {
                    payload.release();
                    int err = !validFlags(f, CMD_FLAG_FUA) || lenL == 0 ? EINVAL : readOnly ? EPERM : ENOSPC;
                    error(c, type, err, bad);
                    return;
                }
                if (fua) {
                    submitReleasing(() -> doWrite(c, off, payload, true), c, type, payload);
                } else {
                    toLane(new LaneWrite(c, off, payload));
                }
            }
            case CMD_FLUSH -> {
                if (checkFlags(c, type, f, CMD_FLAG_FUA)) { // old qemu sets FUA on FLUSH
                    submit(() -> {
                        long start = System.nanoTime();
                        volume.flush();
                        done(c, NbdMetrics.FLUSH, 0, start);
                    }, c, type);
                }
            }
            case CMD_TRIM, CMD_WRITE_ZEROES -> {
                boolean zeroes = type == CMD_WRITE_ZEROES;
                int allowed = zeroes ? CMD_FLAG_FUA | CMD_FLAG_NO_HOLE : CMD_FLAG_FUA;
                if (!checkFlags(c, type, f, allowed)) {
                    return;
                }
                if (readOnly) {
                    error(c, type, EPERM, "export is read-only");
                } else if (lenL == 0) {
                    error(c, type, EINVAL, "zero-length request");
                } else if (!inRange(off, lenL)) {
                    error(c, type, ENOSPC, "request past the end of the export");
                } else {
                    submit(() -> {
                        long start = System.nanoTime();
                        if (zeroes) {
                            volume.writeZeroes(off, lenL, fua);
                        } else {
                            volume.trim(off, lenL);
                            if (fua) {
                                volume.flush();
                            }
                        }
                        done(c, zeroes ? NbdMetrics.WRITE_ZEROES : NbdMetrics.TRIM, lenL, start);
                    }, c, type);
                }
            }
            case CMD_DISC -> {
                disconnecting = true;
                in.skipBytes(in.readableBytes());
                ctx.channel().config().setAutoRead(false);
                closeIfIdle();
            }
            default -> error(c, type, EINVAL, "unknown command " + type);
        }
    }

    private boolean validFlags(int f, int allowed) {
        return (f & ~allowed) == 0;
    }

    private boolean checkFlags(long c, int t, int f, int allowed) {
        if ((f & ~allowed) != 0) {
            error(c, t, EINVAL, "unsupported flags 0x" + Integer.toHexString(f) + " for command " + t);
            return false;
        }
        return true;
    }

    private boolean inRange(long off, long len) {
        long size = volume.size();
        return off >= 0 && off <= size && len <= size - off;
    }

    private interface Work {
        void run() throws Exception;
    }

    /** Work whose reply may come later: returns null when it replied already, else the future that replies. */
    private interface AsyncWork {
        CompletableFuture<Void> run() throws Exception;
    }

    private void submit(Work work, long c, int t) {
        submitReleasing(() -> {
            work.run();
            return null;
        }, c, t, null);
    }

    /**
     * Runs {@code work} on a worker; {@code toRelease} is released when the work returns (the volume
     * keeps no reference to it then). The request counts as in flight until it was answered, which for
     * a write acknowledged later (see {@link Volume#writeAsync}) is when its future completes: no
     * worker waits for it.
     */
    private void submitReleasing(AsyncWork work, long c, int t, ByteBuf toRelease) {
        inFlight.incrementAndGet();
        try {
            context.workers().execute(() -> run(work, c, t, toRelease));
        } catch (RejectedExecutionException e) {
            refuseShuttingDown(c, t, toRelease);
        }
    }

    private void run(AsyncWork work, long c, int t, ByteBuf toRelease) {
        CompletableFuture<Void> later = null;
        try {
            later = work.run();
        } catch (Throwable e) {
            failed(c, t, e);
        } finally {
            if (toRelease != null) {
                toRelease.release();
            }
            if (later == null) {
                completed();
            }
        }
        if (later != null) {
            later.whenComplete((v, e) -> {
                if (e != null) {
                    failed(c, t, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                }
                completed();
            });
        }
    }

    private void refuseShuttingDown(long c, int t, ByteBuf toRelease) {
        if (toRelease != null) {
            toRelease.release();
        }
        error(c, t, ESHUTDOWN, "server is shutting down");
        completed();
    }

    /** Queues a plain write for the lane and wakes a worker for it unless one is draining it. */
    private void toLane(LaneWrite w) {
        inFlight.incrementAndGet();
        lane.offer(w);
        scheduleLane();
    }

    private void scheduleLane() {
        if (!laneScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            context.workers().execute(drainLane);
        } catch (RejectedExecutionException e) {
            LaneWrite w;
            while ((w = lane.poll()) != null) {
                refuseShuttingDown(w.cookie(), CMD_WRITE, w.payload());
            }
            laneScheduled.set(false);
        }
    }

    /**
     * On a worker: applies the queued writes in arrival order and sends their replies (those not
     * waiting for an acknowledgement, see {@link #doWrite}) to the event loop in one buffer.
     */
    private void drainLane() {
        laneThread = Thread.currentThread();
        int n = 0;
        try {
            LaneWrite w;
            while (n < LANE_BATCH && (w = lane.poll()) != null) {
                n++;
                LaneWrite write = w;
                run(() -> doWrite(write.cookie(), write.offset(), write.payload(), false), write.cookie(), CMD_WRITE,
                        write.payload());
            }
        } finally {
            laneThread = null;
            ByteBuf replies = laneReplies;
            laneReplies = null;
            if (replies != null) {
                send(replies);
            }
            int answered = laneCompleted;
            laneCompleted = 0;
            if (answered > 0) {
                completed(answered);
            }
            laneScheduled.set(false);
        }
        if (!lane.isEmpty()) {
            scheduleLane(); // more arrived, or the batch limit was hit: yield the worker, then go on
        }
    }

    private void completed() {
        if (Thread.currentThread() == laneThread) {
            laneCompleted++; // see drainLane
        } else {
            completed(1);
        }
    }

    private void completed(int requests) {
        int now = inFlight.addAndGet(-requests);
        if (disconnecting) {
            closeIfIdle();
        } else if (now <= maxInFlight / 2 && paused.compareAndSet(true, false)) {
            try {
                channel.eventLoop().execute(this::resume);
            } catch (RejectedExecutionException e) {
                // server shutting down
            }
        }
    }

    /** On the event loop: decode the requests that waited in the buffer, then read again. */
    private void resume() {
        if (context == null || ctxRef == null || ctxRef.isRemoved() || !channel.isActive()) {
            return;
        }
        channel.config().setAutoRead(true);
        try {
            channelRead(ctxRef, io.netty.buffer.Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            ctxRef.fireExceptionCaught(e);
        }
    }

    private void closeIfIdle() {
        if (inFlight.get() == 0) {
            channel.eventLoop().execute(() -> channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE));
        }
    }

    private void failed(long c, int t, Throwable e) {
        int err;
        if (e instanceof ReadOnlyVolumeException) {
            err = EPERM;
        } else if (e instanceof IllegalArgumentException) {
            err = EINVAL;
        } else if (isNoSpace(e)) {
            log.error("NBD {} request on {} failed: local flash is full", commandName(t), volume.name(), e);
            err = ENOSPC;
        } else {
            log.error("NBD {} request on {} failed", commandName(t), volume.name(), e);
            err = EIO;
        }
        metrics.record(opIndex(t), 0, System.nanoTime(), false);
        sendError(c, t, err, String.valueOf(e.getMessage()));
    }

    /** True if {@code e} or a cause is the operating system's "no space left on device" (ENOSPC). */
    static boolean isNoSpace(Throwable e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            String m = x.getMessage();
            if (m != null && m.contains("No space left on device")) {
                return true;
            }
            if (x.getCause() == x) {
                break;
            }
        }
        return false;
    }

    private void doRead(long c, long off, int len) {
        long start = System.nanoTime();
        int header = structured ? 28 : 16;
        ByteBuf buf = channel.alloc().directBuffer(header + len);
        try {
            if (structured) {
                buf.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_OFFSET_DATA)
                        .writeLong(c).writeInt(8 + len).writeLong(off);
            } else {
                buf.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(c);
            }
            volume.read(off, buf.nioBuffer(header, len));
            buf.writerIndex(header + len);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        send(buf);
        metrics.record(NbdMetrics.READ, len, start, true);
    }

    /**
     * Applies the write; the reply goes out when the volume acknowledges it, on the connection's event
     * loop, which then writes it without another hop. Returns null if it replied already.
     */
    private CompletableFuture<Void> doWrite(long c, long off, ByteBuf payload, boolean fua) {
        long start = System.nanoTime();
        int len = payload.readableBytes();
        // one direct buffer: one NIO view
        CompletableFuture<Void> acked = volume.writeAsync(off, payload.nioBuffer(), fua, channel.eventLoop());
        if (acked.isDone() && !acked.isCompletedExceptionally()) {
            done(c, NbdMetrics.WRITE, len, start);
            return null;
        }
        return acked.thenRun(() -> done(c, NbdMetrics.WRITE, len, start));
    }

    private void done(long c, int op, long bytes, long start) {
        if (Thread.currentThread() == laneThread) { // gathered, sent when the lane's batch ends
            if (laneReplies == null) {
                laneReplies = channel.alloc().buffer(16 * 64);
            }
            laneReplies.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(c);
        } else {
            ByteBuf b = channel.alloc().buffer(16);
            b.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(c);
            send(b);
        }
        metrics.record(op, bytes, start, true);
    }

    /**
     * Queues a reply. Replies are written on the event loop and flushed once per batch: a flush
     * task queued behind the first unflushed reply covers every reply written before it runs.
     */
    private void send(ByteBuf reply) {
        if (channel.eventLoop().inEventLoop()) {
            writeInLoop(reply);
            return;
        }
        try {
            channel.eventLoop().execute(() -> writeInLoop(reply));
        } catch (RejectedExecutionException e) { // server shutting down: the connection is gone
            reply.release();
        }
    }

    private boolean flushQueued; // event loop only

    private void writeInLoop(ByteBuf reply) {
        channel.write(reply, channel.voidPromise());
        if (!flushQueued) {
            flushQueued = true;
            channel.eventLoop().execute(flushTask);
        }
    }

    private final Runnable flushTask = () -> {
        flushQueued = false;
        channel.flush();
    };

    /** Refuses a request before any I/O (runs on the event loop). */
    private void error(long c, int t, int err, String message) {
        metrics.protocolError();
        log.debug("NBD request {} on {} refused: {}", commandName(t), volume.name(), message);
        sendError(c, t, err, message);
    }

    private void sendError(long c, int t, int err, String message) {
        ByteBuf b;
        if (structured && t == CMD_READ) {
            byte[] m = message.getBytes(StandardCharsets.UTF_8);
            int ml = Math.min(m.length, 1024);
            b = channel.alloc().buffer(20 + 6 + ml);
            b.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_ERROR)
                    .writeLong(c).writeInt(6 + ml).writeInt(err).writeShort(ml).writeBytes(m, 0, ml);
        } else {
            b = channel.alloc().buffer(16);
            b.writeInt(SIMPLE_REPLY_MAGIC).writeInt(err).writeLong(c);
        }
        send(b);
    }

    private static int opIndex(int t) {
        return switch (t) {
            case CMD_READ -> NbdMetrics.READ;
            case CMD_WRITE -> NbdMetrics.WRITE;
            case CMD_TRIM -> NbdMetrics.TRIM;
            case CMD_WRITE_ZEROES -> NbdMetrics.WRITE_ZEROES;
            default -> NbdMetrics.FLUSH;
        };
    }

    private static String commandName(int t) {
        return switch (t) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            case CMD_DISC -> "DISC";
            default -> "command " + t;
        };
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.info("NBD connection {} to {} failed: {}", ctx.channel().remoteAddress(), volume.name(), cause.toString());
        ctx.close();
    }
}
