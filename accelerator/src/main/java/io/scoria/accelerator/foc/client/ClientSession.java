package io.scoria.accelerator.foc.client;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.FocUnavailableException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The state one {@link FocClient} shares between its callers and its I/O thread, and its
 * transitions on connection events: registered (attach the connection, re-send every kept batch,
 * DEGRADED until they are acknowledged, then OK), batch acknowledged (complete the waiters up to
 * it), fenced (terminal: fail everything with {@link FocFencedException}), connection lost
 * (DEGRADED, fail the waiters, reconnect) and closed.
 *
 * <p>Threads: the {@code on...} methods run on the client's I/O thread ({@link #onConnectionLost}
 * also on others); the rest on any thread. Locks: {@link #lock} guards {@link #kept},
 * {@link #outbox}, {@link #waiters}, the state and the fields below; it is never held across I/O,
 * nor while futures or listeners complete. Buffers: the kept entries are owned by {@link #kept}.
 */
final class ClientSession {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);

    final FocClientConfig config;
    final Object lock = new Object();
    final StateReporter states = new StateReporter(lock);
    final Dialer dialer;
    final KeptEntries kept;
    final Outbox outbox;
    final AckWaiters waiters = new AckWaiters();

    /** The epoch registered with: the configured one, or the one a claim got (see {@link #epochInForce}). */
    private volatile long ownerEpoch;

    // guarded by lock
    long ackedSeq;
    /** Since a {@link #retarget}: the tag below which a new server's entries are obsolete (-1: none). */
    private long retargetRemoval = -1;
    FocFencedException fenced;
    boolean closed;

    ClientSession(FocClientConfig config, io.scoria.accelerator.foc.FocTls tls) {
        this.config = config;
        this.ownerEpoch = config.ownerEpoch();
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        this.dialer = new Dialer(this, config, tls);
        Outbox[] box = new Outbox[1];
        this.kept = new KeptEntries(alloc, config.volumeId(), config.payloadBytes(),
                FocProtocol.entryBytes(config.payloadBytes()), config.maxBatchEntries(), config.maxRetainedBytes(),
                b -> box[0].enqueueLocked(b));
        this.outbox = new Outbox(lock, config, kept, alloc, dialer.io());
        box[0] = outbox;
    }

    /** True when OK (every kept entry acknowledged) on a connection to {@code server} ({@code HOST:PORT}). */
    boolean okAt(String server) {
        synchronized (lock) {
            Connection c = outbox.connectionLocked();
            return states.getLocked() == FocState.OK && c != null && c.server.equals(server);
        }
    }

    /** The server this client connects to now, {@code HOST:PORT}. */
    String server() {
        java.net.InetSocketAddress t = dialer.target();
        return t.getHostString() + ":" + t.getPort();
    }

    /**
     * Moves the client to another server: later connections go to {@code to}; the current one is
     * closed (DEGRADED until the new server acknowledged every kept entry, re-sent there). On each
     * registration from now on the server is first told to remove every entry with a tag up to
     * {@code obsoleteUpTo}: entries of earlier owners or opens that it may still hold (every entry of
     * this owner not yet on the backend is kept here and re-sent).
     *
     * @throws FocFencedException if fenced; FocException if closed
     */
    void retarget(java.net.InetSocketAddress to, long obsoleteUpTo) {
        Connection c;
        synchronized (lock) {
            checkUsableLocked();
            retargetRemoval = Math.max(retargetRemoval, obsoleteUpTo);
            dialer.retarget(to);
            c = outbox.connectionLocked() != null ? outbox.connectionLocked() : dialer.connecting();
        }
        LOG.info("FOC volume {}: moving to server {}", config.volumeId(), server());
        if (c != null) {
            c.close("the volume's fail-over cache moves to " + server());
        } // else a reconnection is scheduled already (within reconnectMax) and goes to the new server
    }

    /** The owner epoch this client registers with ({@code 0}: it claims one at its first registration). */
    long ownerEpoch() {
        return ownerEpoch;
    }

    /** On the I/O thread: the server accepted {@code epoch}; later registrations use it. */
    void epochInForce(long epoch) {
        if (ownerEpoch != epoch) {
            LOG.info("FOC volume {}: claimed owner epoch {}", config.volumeId(), epoch);
            ownerEpoch = epoch;
        }
    }

    /** Throws if fenced or closed; under the lock. */
    void checkUsableLocked() {
        if (fenced != null) {
            throw fenced;
        }
        if (closed) {
            throw closedException();
        }
    }

    FocException closedException() {
        return new FocException("FOC client of volume " + config.volumeId() + " is closed");
    }

    FocUnavailableException unavailable(String why) {
        return new FocUnavailableException("FOC server " + server() + " for volume "
                + config.volumeId() + ": " + why);
    }

    /** True while a new connection is wanted (not closed, fenced or registered). */
    boolean wantsConnection() {
        synchronized (lock) {
            return !closed && fenced == null && outbox.connectionLocked() == null;
        }
    }

    /** The registered connection, or null. */
    Connection registeredConnection() {
        synchronized (lock) {
            return outbox.connectionLocked();
        }
    }

    /** True if the oldest waiter has waited longer than {@code limitNanos}. */
    boolean ackOverdue(long now, long limitNanos) {
        synchronized (lock) {
            return now - waiters.oldestSince(now) > limitNanos;
        }
    }

    /** DEGRADED becomes OK once connected and every re-sent batch was acknowledged. */
    void maybeOkLocked() {
        if (states.getLocked() == FocState.DEGRADED && outbox.connectionLocked() != null && outbox.resendDoneLocked()) {
            states.setLocked(FocState.OK);
            LOG.info("FOC volume {}: connected to {}, state OK", config.volumeId(), server());
        }
    }

    /** On the I/O thread: the server acknowledged batch {@code b} on {@code c}. */
    void onAdded(Connection c, Batch b) {
        List<AckWaiters.Waiter> done = null;
        synchronized (lock) {
            if (!outbox.ackedLocked(c, b)) {
                return;
            }
            if (b.lastSeq > ackedSeq) {
                ackedSeq = b.lastSeq;
                done = waiters.pollUpTo(ackedSeq);
            }
            maybeOkLocked();
        }
        outbox.sendQueued(); // on the I/O thread already: what accumulated during the round trip goes now
        states.notifyListeners();
        AckWaiters.complete(done, null);
    }

    /** On the I/O thread: REGISTER succeeded; queue the removal watermark and every kept batch. */
    void onRegistered(Connection c) {
        synchronized (lock) {
            if (closed || fenced != null) {
                c.close("client closed");
                return;
            }
            Pending removal = null;
            long removeUpTo = Math.max(kept.removedUpTo(), retargetRemoval);
            if (removeUpTo >= 0) {
                removal = new Pending(FocProtocol.REMOVE_UP_TO, c.nextRequestId(), null, removeUpTo, null);
                removal.future.whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.warn("FOC volume {}: REMOVE_UP_TO on reconnection failed: {}", config.volumeId(), e.toString());
                    }
                });
            }
            int resend = outbox.attachLocked(c, removal);
            if (resend > 0) {
                LOG.info("FOC volume {}: re-sending {} batches ({} bytes)", config.volumeId(), resend, kept.bytes());
            }
            maybeOkLocked();
        }
        dialer.registered();
        states.notifyListeners();
        outbox.sendQueued();
    }

    /** On the I/O thread: the server knows a newer owner. Terminal. */
    void onFenced(Connection c, FocFencedException e) {
        List<AckWaiters.Waiter> failed;
        synchronized (lock) {
            fenced = e;
            states.setLocked(FocState.FENCED);
            outbox.detachLocked();
            failed = waiters.drain();
        }
        LOG.error("FOC volume {}: {}", config.volumeId(), e.getMessage());
        c.close("fenced");
        c.failPending(e);
        dialer.attemptFailed(e);
        states.notifyListeners();
        AckWaiters.complete(failed, e);
    }

    /** Any thread: {@code c} is gone; fail what waited on it and schedule a reconnection. */
    void onConnectionLost(Connection c, String reason) {
        List<AckWaiters.Waiter> failed = null;
        boolean wasCurrent;
        synchronized (lock) {
            wasCurrent = outbox.connectionLocked() == c;
            if (wasCurrent) {
                outbox.detachLocked();
                if (states.getLocked() == FocState.OK) {
                    states.setLocked(FocState.DEGRADED);
                }
                failed = waiters.drain();
            }
        }
        FocUnavailableException e = unavailable("connection lost: " + reason);
        c.failPending(e);
        if (wasCurrent) {
            LOG.warn("FOC volume {}: {}; DEGRADED, reconnecting", config.volumeId(), e.getMessage());
            states.notifyListeners();
            AckWaiters.complete(failed, e);
            dialer.reconnectLater();
        }
    }

    /** Closes the connection and the I/O thread and releases the kept entries; idempotent. */
    void close() {
        List<AckWaiters.Waiter> failed;
        Connection c;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (states.getLocked() != FocState.FENCED) {
                states.setLocked(FocState.CLOSED);
            }
            c = outbox.connectionLocked() != null ? outbox.connectionLocked() : dialer.connecting();
            failed = waiters.drain();
            kept.clear();
            outbox.clearLocked();
        }
        FocException e = closedException();
        if (c != null) {
            c.close("client closed");
            c.failPending(e);
        }
        AckWaiters.complete(failed, e);
        states.notifyListeners();
        dialer.close();
    }
}
