package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.metrics.NbdMetrics;
import io.scoria.accelerator.metrics.VolumeMeters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * The worker side of one connection's transmission phase: runs the requests {@link NbdTransmissionHandler}
 * decoded, validated and admitted on the worker executor (plain writes through the connection's
 * {@link WriteLane}), answers them, records them in the metrics, counts them complete in the
 * {@link RequestFlow} and closes a disconnecting connection once nothing is in flight. A volume call
 * that fails is answered with an errno; a failure that means the volume is no longer served here
 * ({@code NBD_ESHUTDOWN}) closes the connection.
 *
 * <p>Threads: {@link #write}, {@link #submit} and {@link #markDisconnecting} are called on the event
 * loop; the requests run on workers, plain writes on the lane's draining worker (their replies and
 * completions gathered per batch, see {@link WriteLane#onLaneThread}); a write acknowledged later
 * completes on whichever thread acknowledges it. {@link #closeIfIdle} runs on the event loop (DISC) or
 * on the thread that completed the last request, and hands the close to the event loop. The
 * disconnecting flag is volatile.
 *
 * <p>Buffers: a WRITE's {@link WritePayload} is owned by this class from {@link #write} on and released
 * after the volume call (also when refused), its bytes returned to the flow then; a READ fills a pooled
 * buffer that already holds the reply header, which Netty releases after sending, and its bytes go back
 * to the flow once the reply was written.
 */
final class RequestExecution implements WriteLane.Target {
    private static final Logger log = LoggerFactory.getLogger(RequestExecution.class);

    /** A request's work on a worker. */
    interface Work {
        void run() throws Exception;
    }

    private final Volume volume;
    private final Channel channel;
    private final Executor workers;
    private final RequestFlow flow;
    private final NbdReplies replies;
    private final NbdMetrics metrics;
    private final VolumeMeters volumeMeters; // resolved once per connection, on attach
    private final WriteLane lane;
    private volatile boolean disconnecting;

    RequestExecution(Volume volume, Channel channel, Executor workers, RequestFlow flow, NbdReplies replies,
                     NbdMetrics metrics, VolumeMeters volumeMeters) {
        this.volume = volume;
        this.channel = channel;
        this.workers = workers;
        this.flow = flow;
        this.replies = replies;
        this.metrics = metrics;
        this.volumeMeters = volumeMeters;
        this.lane = new WriteLane(workers, channel.alloc(), this);
    }

    /** True once the client asked to disconnect or the connection is being closed: no request is decoded any more. */
    boolean disconnecting() {
        return disconnecting;
    }

    /** No request is decoded any more; the connection closes (see {@link #closeIfIdle}). */
    void markDisconnecting() {
        disconnecting = true;
    }

    /**
     * Runs {@code work} on a worker; the request counts as in flight until it was answered. If the
     * workers are shut down it is refused and its {@code admittedBytes} returned.
     */
    void submit(Work work, long c, int t, long admittedBytes) {
        flow.started();
        try {
            workers.execute(() -> {
                try {
                    work.run();
                } catch (Throwable e) {
                    failed(c, t, e);
                } finally {
                    completed();
                }
            });
        } catch (RejectedExecutionException e) {
            if (admittedBytes > 0) {
                flow.release(admittedBytes);
            }
            replies.error(c, t, ESHUTDOWN, "server is shutting down");
            completed();
        }
    }

    /**
     * A WRITE whose payload was received (it was counted as started): a plain one goes to the write lane,
     * a FUA one to any worker.
     */
    void write(long c, long off, WritePayload p, boolean fua) {
        if (!fua) {
            lane.offer(new WriteLane.Write(c, off, p));
            return;
        }
        try {
            workers.execute(() -> runWrite(c, off, p, true));
        } catch (RejectedExecutionException e) {
            refuse(new WriteLane.Write(c, off, p));
        }
    }

    /** FLUSH, on a worker. */
    void flush(long c) {
        long start = System.nanoTime();
        volume.flush();
        done(c, NbdMetrics.FLUSH, 0, start);
    }

    /** TRIM or WRITE_ZEROES ({@code zeroes}), validated already, on a worker; a FUA TRIM flushes before it is answered. */
    void trimOrZeroes(long c, long off, long len, boolean zeroes, boolean fua) {
        long start = System.nanoTime();
        if (zeroes) {
            volume.writeZeroes(off, len, fua);
        } else {
            volume.trim(off, len);
            if (fua) {
                volume.flush();
            }
        }
        done(c, zeroes ? NbdMetrics.WRITE_ZEROES : NbdMetrics.TRIM, len, start);
    }

    // ---- WriteLane.Target

    @Override
    public void apply(WriteLane.Write w) {
        runWrite(w.cookie(), w.offset(), w.payload(), false);
    }

    @Override
    public void refuse(WriteLane.Write w) {
        w.payload().release();
        flow.release(w.payload().length());
        replies.error(w.cookie(), CMD_WRITE, ESHUTDOWN, "server is shutting down");
        completed();
    }

    @Override
    public void sendBatch(ByteBuf batch) {
        replies.send(batch);
    }

    @Override
    public void completed(int n) {
        int now = flow.completed(n);
        if (disconnecting && now == 0) {
            closeIfIdle();
        }
    }

    /**
     * Applies a write and releases its payload; the reply goes out when the volume acknowledges it
     * (for a write acknowledged later, see {@link Volume#writeAsync}, no worker waits for it).
     */
    private void runWrite(long c, long off, WritePayload p, boolean fua) {
        long start = System.nanoTime();
        int len = p.length();
        CompletableFuture<Void> acked = null;
        try {
            acked = applyPieces(off, p, fua);
        } catch (Throwable e) {
            failed(c, CMD_WRITE, e);
        } finally {
            p.release();
            flow.release(len);
        }
        if (acked == null) {
            completed();
        } else if (acked.isDone() && !acked.isCompletedExceptionally()) {
            done(c, NbdMetrics.WRITE, len, start);
            completed();
        } else {
            acked.whenComplete((v, e) -> {
                if (e != null) {
                    failed(c, CMD_WRITE, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                } else {
                    done(c, NbdMetrics.WRITE, len, start);
                }
                completed();
            });
        }
    }

    /** One volume call per payload piece (one for writes up to 1 MiB); FUA on the last covers them all. */
    private CompletableFuture<Void> applyPieces(long off, WritePayload p, boolean fua) {
        int last = p.pieces() - 1;
        CompletableFuture<Void> acked = volume.writeAsync(off, p.piece(0), fua && last == 0, channel.eventLoop());
        for (int i = 1; i <= last; i++) {
            CompletableFuture<Void> next = volume.writeAsync(off + (long) i * WritePayload.PIECE, p.piece(i),
                    fua && i == last, channel.eventLoop());
            acked = acked.isDone() && !acked.isCompletedExceptionally() ? next : CompletableFuture.allOf(acked, next);
        }
        return acked;
    }

    /** READ, on a worker: the reply header and the data in one pooled buffer; its bytes return to the flow once written. */
    void read(long c, long off, int len) {
        long start = System.nanoTime();
        int header = replies.dataHeaderLength();
        ByteBuf buf = null;
        try {
            buf = channel.alloc().directBuffer(header + len);
            replies.writeDataHeader(buf, c, off, len);
            volume.read(off, buf.nioBuffer(header, len));
            buf.writerIndex(header + len);
        } catch (Throwable e) {
            if (buf != null) {
                buf.release();
            }
            flow.release(len);
            throw e;
        }
        replies.sendData(buf, len, flow::release);
        metrics.record(volumeMeters, NbdMetrics.READ, len, start, true);
    }

    private void done(long c, int op, long bytes, long start) {
        if (lane.onLaneThread()) {
            lane.gatherOk(c);
        } else {
            replies.ok(c);
        }
        metrics.record(volumeMeters, op, bytes, start, true);
    }

    private void completed() {
        if (lane.onLaneThread()) {
            lane.gatherCompleted();
        } else {
            completed(1);
        }
    }

    /** Closes the connection once no request is in flight (else the last one to complete does). */
    void closeIfIdle() {
        if (flow.inFlight() == 0) {
            channel.eventLoop().execute(() -> channel.writeAndFlush(Unpooled.EMPTY_BUFFER)
                    .addListener(ChannelFutureListener.CLOSE));
        }
    }

    /** A volume call failed: the client gets an errno, the log gets the cause (never the client). */
    private void failed(long c, int t, Throwable e) {
        int err = NbdReplies.errno(e);
        String message = NbdReplies.clientMessage(err, e);
        if (err == ENOSPC || err == EIO) {
            log.error("NBD {} request on {} failed", NbdReplies.commandName(t), volume.name(), e);
        }
        if (!QueryCommands.isQuery(t)) {
            metrics.record(volumeMeters, NbdReplies.meterOf(t), 0, System.nanoTime(), false);
        }
        replies.error(c, t, err, message);
        if (err == ESHUTDOWN && !disconnecting) {
            // the volume is no longer served here, so nothing in flight will be acknowledged: the
            // connection closes now (replies not yet on the socket are dropped, which the client takes
            // as "not acknowledged") and the client reconnects, to the owner the message names
            log.info("NBD connection {} to {}: {}; closing it", channel.remoteAddress(), volume.name(), message);
            disconnecting = true;
            channel.eventLoop().execute(() -> {
                channel.config().setAutoRead(false);
                channel.flush();
                channel.close();
            });
        }
    }
}
