package io.scoria.accelerator.iscsi;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Closes an iSCSI connection that holds resources without making progress: not logged in after
 * {@link IscsiLimits#loginTimeout()}; not reading its responses, or owing solicited data, or not
 * answering a NOP-In ping, for {@link IscsiLimits#stallTimeout()}. An idle logged-in connection gets
 * a NOP-In ping every {@link IscsiLimits#nopInterval()} (keepalive both ways).
 *
 * <p>Threads: everything runs on the connection's event loop (a periodic check scheduled there).
 */
final class IscsiWatchdog {
    private static final Logger log = LoggerFactory.getLogger(IscsiWatchdog.class);

    private final ChannelHandlerContext ctx;
    private final IscsiLimits limits;
    private final BooleanSupplier loggedIn;
    private final BooleanSupplier awaitingData;
    private final BooleanSupplier ping;
    private final BooleanSupplier pingOutstanding;
    private final long started = System.nanoTime();
    private long lastInbound = started;
    private long unwritableSince;
    private long pingSent;
    private ScheduledFuture<?> check;

    /** @param ping sends a ping; false if one is already outstanding */
    IscsiWatchdog(ChannelHandlerContext ctx, IscsiLimits limits, BooleanSupplier loggedIn, BooleanSupplier awaitingData,
                  BooleanSupplier ping, BooleanSupplier pingOutstanding) {
        this.ctx = ctx;
        this.limits = limits;
        this.loggedIn = loggedIn;
        this.awaitingData = awaitingData;
        this.ping = ping;
        this.pingOutstanding = pingOutstanding;
    }

    void start() {
        long shortest = Math.min(limits.stallTimeout().toNanos(), limits.loginTimeout().toNanos());
        if (!limits.nopInterval().isZero()) {
            shortest = Math.min(shortest, limits.nopInterval().toNanos());
        }
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(50), shortest / 4);
        check = ctx.executor().scheduleAtFixedRate(this::check, period, period, TimeUnit.NANOSECONDS);
    }

    void stop() {
        if (check != null) {
            check.cancel(false);
        }
    }

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
        long stall = limits.stallTimeout().toNanos();
        String why = null;
        if (!loggedIn.getAsBoolean()) {
            why = now - started >= limits.loginTimeout().toNanos() ? "did not log in" : null;
        } else if (unwritableSince != 0 && now - unwritableSince >= stall) {
            why = "does not read its responses";
        } else if (awaitingData.getAsBoolean() && now - lastInbound >= stall) {
            why = "owes solicited data";
        } else if (pingOutstanding.getAsBoolean() && now - pingSent >= stall && lastInbound < pingSent) {
            why = "does not answer NOP-In pings";
        } else if (!limits.nopInterval().isZero() && now - lastInbound >= limits.nopInterval().toNanos()
                && !pingOutstanding.getAsBoolean() && ping.getAsBoolean()) {
            pingSent = now;
        }
        if (why != null) {
            log.warn("iSCSI initiator {} {} in time; closing the connection", ctx.channel().remoteAddress(), why);
            stop();
            ctx.close();
        }
    }
}
