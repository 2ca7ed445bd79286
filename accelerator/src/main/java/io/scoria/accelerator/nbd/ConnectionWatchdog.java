package io.scoria.accelerator.nbd;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Closes an NBD connection in transmission whose client stalls: it left a request half sent, or
 * did not read its replies (the socket stayed above its high water mark), for
 * {@link NbdLimits#stallTimeout()}; or, when {@link NbdLimits#idleTimeout()} is set, it sent
 * nothing and had nothing in flight for that long. What such a client holds (request data, queued
 * replies, a connection slot) comes back when it is closed.
 *
 * <p>Threads: everything runs on the connection's event loop (a periodic check scheduled there).
 */
final class ConnectionWatchdog {
    private static final Logger log = LoggerFactory.getLogger(ConnectionWatchdog.class);

    private final ChannelHandlerContext ctx;
    private final long stallNanos;
    private final long idleNanos;
    private final BooleanSupplier midRequest;
    private final IntSupplier inFlight;
    private long lastInbound = System.nanoTime();
    private long unwritableSince; // 0: writable
    private ScheduledFuture<?> check;

    ConnectionWatchdog(ChannelHandlerContext ctx, NbdLimits limits, BooleanSupplier midRequest, IntSupplier inFlight) {
        this.ctx = ctx;
        this.stallNanos = limits.stallTimeout().toNanos();
        this.idleNanos = limits.idleTimeout().toNanos();
        this.midRequest = midRequest;
        this.inFlight = inFlight;
    }

    void start() {
        long shortest = idleNanos > 0 ? Math.min(stallNanos, idleNanos) : stallNanos;
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(50), shortest / 4);
        check = ctx.executor().scheduleAtFixedRate(this::check, period, period, TimeUnit.NANOSECONDS);
    }

    void stop() {
        if (check != null) {
            check.cancel(false);
        }
    }

    /** Bytes arrived from the client. */
    void inbound() {
        lastInbound = System.nanoTime();
    }

    void writabilityChanged(boolean writable) {
        unwritableSince = writable ? 0 : System.nanoTime();
    }

    private void check() {
        if (!ctx.channel().isActive()) {
            stop();
            return;
        }
        long now = System.nanoTime();
        String why = null;
        long since = 0;
        if (unwritableSince != 0 && now - unwritableSince >= stallNanos) {
            why = "does not read its replies";
            since = unwritableSince;
        } else if (midRequest.getAsBoolean() && now - lastInbound >= stallNanos) {
            why = "left a request half sent";
            since = lastInbound;
        } else if (idleNanos > 0 && inFlight.getAsInt() == 0 && now - lastInbound >= idleNanos) {
            why = "was idle";
            since = lastInbound;
        }
        if (why != null) {
            log.warn("NBD client {} {} for {} ms; closing the connection", ctx.channel().remoteAddress(), why,
                    TimeUnit.NANOSECONDS.toMillis(now - since));
            stop();
            ctx.close();
        }
    }
}
