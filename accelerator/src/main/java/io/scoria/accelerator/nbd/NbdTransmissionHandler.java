package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.metrics.NbdMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * The transmission phase of one connection. The event loop only decodes and validates requests;
 * volume I/O runs on the worker executor ({@link RequestExecution}), so requests complete (and are
 * answered) in any order and a slow read never holds up others. Plain (non-FUA) writes take the
 * connection's {@link WriteLane}.
 * A request is refused before any of its data is buffered when its header is invalid (a refused
 * WRITE's payload is skipped as it arrives). Before a request is decoded, its {@link RequestFlow}
 * must admit it: a connection with {@code maxInFlight} requests or its share of request bytes in
 * flight, or whose client does not read its replies, stops being read until that changes.
 * {@link ConnectionWatchdog} closes connections that stall.
 *
 * <p>Buffers: a WRITE payload is copied once from the socket buffers into a {@link WritePayload}
 * owned by this handler until it is dispatched, then by the request, and released after the volume
 * call; a READ fills a pooled buffer that already holds the reply header, which Netty releases after
 * sending (see {@link RequestExecution}). Replies: {@link NbdReplies}.
 */
final class NbdTransmissionHandler extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(NbdTransmissionHandler.class);
    private static final int HEADER = 28;

    private final NbdContext context;
    private final Volume volume;
    private final boolean readOnly;
    private final boolean structured;
    private final MetaContexts contexts;
    private final NbdMetrics metrics;
    private final int maxPayload;
    private Channel channel;
    private ChannelHandlerContext ctxRef;
    private RequestFlow flow;
    private NbdReplies replies;
    private RequestExecution execution;
    private QueryCommands queries;
    private QosWait qos;
    private ConnectionWatchdog watchdog;

    // current request, event loop only
    private boolean haveHeader;
    private boolean admitted;
    private boolean qosAdmitted;
    private int flags;
    private int type;
    private long cookie;
    private long offset;
    private long length;
    private long skipRemaining;
    private long budget; // request data the current request was admitted with
    private WritePayload payload; // owned by this handler until dispatched

    /** {@code contexts}: what SET_META_CONTEXT selected for this export. */
    NbdTransmissionHandler(NbdContext context, Volume volume, boolean readOnly, boolean structured, MetaContexts contexts) {
        this.context = context;
        this.volume = volume;
        this.readOnly = readOnly;
        this.structured = structured;
        this.contexts = contexts;
        this.metrics = context.metrics();
        this.maxPayload = context.config().maxPayload();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        ctxRef = ctx;
        flow = new RequestFlow(channel, context.config().maxInFlight(), context.config().limits().maxInFlightBytes(),
                context.memory(), this::resume);
        replies = new NbdReplies(channel, structured);
        DirtyRuns dirty = contexts.dirtySince() == null ? null : new DirtyRuns(context.volumes(),
                ExportName.parse(volume.name()), contexts.dirtySince(), volume.size(), volume.clusterSize());
        queries = new QueryCommands(volume, replies, flow, channel.alloc(), contexts, dirty, maxPayload);
        qos = new QosWait(context.qos().gate(volume.name()), channel, this::resume);
        watchdog = new ConnectionWatchdog(ctx, context.config().limits(), this::midRequest, flow::inFlight);
        watchdog.start();
        execution = new RequestExecution(volume, channel, context.workers(), flow, replies, metrics,
                context.volumeMetrics().meters(volume.name())); // the volume's meters: resolved once per connection
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf b && b.isReadable()) {
            watchdog.inbound();
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        watchdog.writabilityChanged(ctx.channel().isWritable());
        if (ctx.channel().isWritable()) {
            flow.writable();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!execution.disconnecting()) {
            if (skipRemaining > 0) {
                int n = (int) Math.min(skipRemaining, in.readableBytes());
                in.skipBytes(n);
                skipRemaining -= n;
                if (skipRemaining > 0) {
                    return;
                }
            }
            if (!haveHeader) {
                if (!flow.mayStart() || in.readableBytes() < HEADER) {
                    return;
                }
                int magic = in.readInt();
                if (magic != REQUEST_MAGIC) {
                    metrics.protocolError();
                    log.info("NBD client {} sent bad request magic 0x{}; closing", ctx.channel().remoteAddress(),
                            Integer.toHexString(magic));
                    in.skipBytes(in.readableBytes());
                    execution.markDisconnecting();
                    ctx.close();
                    return;
                }
                flags = in.readUnsignedShort();
                type = in.readUnsignedShort();
                cookie = in.readLong();
                offset = in.readLong();
                length = in.readUnsignedInt();
                haveHeader = true;
                admitted = false;
                qosAdmitted = false;
                String bad = DataRequestCheck.refusal(type, flags, offset, length, maxPayload, readOnly, volume.size());
                String badQuery = QueryCommands.refusal(type, flags, offset, length, volume.size(), contexts.count());
                if (bad != null || badQuery != null) {
                    haveHeader = false;
                    skipRemaining = type == CMD_WRITE ? length : 0; // stay in sync: discard the payload
                    refuse(cookie, type, bad != null ? DataRequestCheck.errno(type, flags, length, maxPayload, readOnly)
                            : EINVAL, bad != null ? bad : badQuery);
                    continue;
                }
            }
            if (!qosAdmitted) {
                if (!qos.admit(type, length)) {
                    return; // a timer resumes when the volume's caps let it go
                }
                qosAdmitted = true;
            }
            if ((type == CMD_READ || QueryCommands.isQuery(type)) && !admitted) {
                long need = type == CMD_READ ? length : QueryCommands.budget(type, length, volume.clusterSize(), contexts.count());
                if (!flow.tryAcquire(need)) {
                    return; // resumed once bytes come back
                }
                admitted = true;
                budget = need;
            }
            if (type == CMD_WRITE && !receivePayload(ctx, in)) {
                return;
            }
            haveHeader = false;
            dispatch(ctx, in);
        }
    }

    /**
     * Receives the current WRITE's payload; its bytes are admitted by the flow when the first of them
     * is there (a header without data takes no budget), all at once (a request that held part of its
     * bytes while waiting for the rest could deadlock with another). False while more is to come.
     */
    private boolean receivePayload(ChannelHandlerContext ctx, ByteBuf in) {
        if (!admitted) {
            if (!in.isReadable() || !flow.tryAcquire(length)) {
                return false; // resumed once data or bytes come
            }
            admitted = true;
            budget = length;
            payload = new WritePayload((int) length);
        }
        return payload.receive(in, ctx.alloc());
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (watchdog != null) {
            watchdog.stop();
        }
        if (payload != null) { // received in part, never dispatched
            payload.release();
            payload = null;
        }
        if (admitted && haveHeader) {
            flow.release(budget); // admitted, never dispatched
            admitted = false;
        }
    }

    /** True while a request is half received and the server waits for its client, not for budget. */
    private boolean midRequest() {
        return skipRemaining > 0 || (haveHeader && type == CMD_WRITE && !flow.paused());
    }

    private void dispatch(ChannelHandlerContext ctx, ByteBuf in) {
        final long c = cookie;
        final long off = offset;
        final long len = length;
        final int f = flags;
        final boolean fua = (f & CMD_FLAG_FUA) != 0;
        switch (type) {
            case CMD_READ -> {
                admitted = false;
                execution.submit(() -> execution.read(c, off, (int) len), c, CMD_READ, len);
            }
            case CMD_WRITE -> {
                admitted = false;
                WritePayload p = payload;
                payload = null;
                flow.started();
                execution.write(c, off, p, fua);
            }
            case CMD_FLUSH -> {
                if (checkFlags(c, type, f, CMD_FLAG_FUA)) { // old qemu sets FUA on FLUSH
                    execution.submit(() -> execution.flush(c), c, CMD_FLUSH, 0);
                }
            }
            case CMD_TRIM, CMD_WRITE_ZEROES -> trimOrZeroes(c, off, len, f, fua);
            case CMD_BLOCK_STATUS -> {
                admitted = false;
                long b = budget;
                execution.submit(() -> queries.blockStatus(c, off, len, f, b), c, CMD_BLOCK_STATUS, b);
            }
            case CMD_CACHE -> {
                admitted = false;
                long b = budget;
                execution.submit(() -> queries.cache(c, off, len, (int) b), c, CMD_CACHE, b);
            }
            case CMD_DISC -> {
                execution.markDisconnecting();
                in.skipBytes(in.readableBytes());
                ctx.channel().config().setAutoRead(false);
                execution.closeIfIdle();
            }
            default -> refuse(c, type, EINVAL, "unknown command " + type);
        }
    }

    private void trimOrZeroes(long c, long off, long len, int f, boolean fua) {
        boolean zeroes = type == CMD_WRITE_ZEROES;
        int t = type;
        // FAST_ZERO: writing zeros only updates the map and the TLog, always faster than a WRITE
        if (!checkFlags(c, t, f, zeroes ? CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO : CMD_FLAG_FUA)) {
            return;
        }
        if (readOnly) {
            refuse(c, t, EPERM, "export is read-only");
        } else if (len == 0) {
            refuse(c, t, EINVAL, "zero-length request");
        } else if (!inRange(off, len)) {
            refuse(c, t, ENOSPC, "request past the end of the export");
        } else {
            execution.submit(() -> execution.trimOrZeroes(c, off, len, zeroes, fua), c, t, 0);
        }
    }

    private boolean checkFlags(long c, int t, int f, int allowed) {
        if (!DataRequestCheck.validFlags(f, allowed)) {
            refuse(c, t, EINVAL, "unsupported flags 0x" + Integer.toHexString(f) + " for command " + t);
            return false;
        }
        return true;
    }

    private boolean inRange(long off, long len) {
        return DataRequestCheck.inRange(off, len, volume.size());
    }

    /**
     * On the event loop: go on with what waited (a header already decoded that may now take its bytes,
     * then the requests in the buffer), then read again. Decodes the buffer directly: a READ whose header
     * waited for bytes leaves nothing in the buffer, and {@code channelRead} would not call decode then.
     */
    private void resume() {
        if (ctxRef == null || ctxRef.isRemoved() || !channel.isActive()) {
            return;
        }
        channel.config().setAutoRead(true);
        try {
            decode(ctxRef, internalBuffer(), null);
        } catch (Exception e) {
            ctxRef.fireExceptionCaught(e);
        }
    }

    /** Refuses a request before any I/O (runs on the event loop). */
    private void refuse(long c, int t, int err, String message) {
        metrics.protocolError();
        log.debug("NBD request {} on {} refused: {}", NbdReplies.commandName(t), volume.name(), message);
        replies.error(c, t, err, message);
    }


    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.info("NBD connection {} to {} failed: {}", ctx.channel().remoteAddress(), volume.name(), cause.toString());
        ctx.close();
    }
}
