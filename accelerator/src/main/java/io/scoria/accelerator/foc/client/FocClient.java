package io.scoria.accelerator.foc.client;

import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.FocUnavailableException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The client of one volume's FOC server. Connects with a timeout, registers with the owner
 * epoch, and keeps reconnecting with exponential backoff while the server is unreachable.
 *
 * <p>Entries ({@link #append}) are copied into batches (one SCO tag per batch, {@link KeptEntries})
 * that are sent on the client's I/O thread as soon as it is free, at most
 * {@code maxInFlightBatches} unacknowledged frames at a time: under load many writes share one
 * round trip. Every batch is kept until {@link #removeUpTo} drops its SCO tag. <b>Re-send
 * contract:</b> after a reconnection the client itself re-sends, in order, every kept entry
 * (acknowledged or not) and reports {@link FocState#DEGRADED} until the server acknowledged all of
 * them, then {@link FocState#OK}; the owner does not re-read its SCOs. The server may thus hold an
 * entry twice; replay order (SCO tag, then arrival) makes that harmless.
 *
 * <p>Never blocks forever: while not connected, {@link #ackedAsync} fails at once with
 * {@link FocUnavailableException}, {@link #flush()} and {@link #replay} throw it, and a request
 * without reply for {@code requestTimeout} breaks the connection. {@link FocFencedException}
 * is terminal (state {@link FocState#FENCED}).
 *
 * <p>This class holds the public calls (argument checks, waiting for replies); its collaborators
 * each do one job: {@link ClientSession} (shared state and its transitions on registered, acked,
 * fenced, lost, closed), {@link Dialer} (I/O thread, connects, reconnects, deadlines),
 * {@link Connection} (one socket: REGISTER, replies), {@link Outbox} (send queue and in-flight
 * window), {@link KeptEntries} (the copies kept for re-sending), {@link AckWaiters} (futures
 * awaiting acknowledgements) and {@link StateReporter} (state and listeners).
 *
 * <p>Thread-safe. One lock guards the kept entries, the send queue, the waiters and the state; it
 * is never held across I/O (Netty writes from it are only queued; the socket write, the flush,
 * happens after it is released) and futures and listeners are completed outside it. The caller
 * keeps ownership of buffers passed in.
 */
public final class FocClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FocClient.class);

    private final FocClientConfig config;
    private final ClientSession session;
    private final Object lock;

    /**
     * Connects and registers, waiting at most the connect plus request timeout; if the server is
     * unreachable the client starts {@link FocState#DEGRADED} and keeps retrying.
     *
     * @throws FocFencedException if the server holds a newer owner epoch for the volume
     * @throws io.scoria.accelerator.foc.FocAuthenticationException if client and server do not share
     *         the same secret (or one of them has none)
     * @throws FocException if the server refuses the registration for another reason (protocol
     *         version, a different cluster size for the volume, corrupt files, an implausible epoch);
     *         the message says which
     */
    public FocClient(FocClientConfig config) {
        this(config, null);
    }

    /**
     * As {@link #FocClient(FocClientConfig)}, every connection over mutual TLS when {@code tls} is given (a
     * server whose certificate the cluster CA did not sign is refused, and counts as unreachable).
     */
    public FocClient(FocClientConfig config, io.scoria.accelerator.foc.FocTls tls) {
        if (config == null) {
            throw new IllegalArgumentException("config: must not be null");
        }
        this.config = config;
        this.session = new ClientSession(config, tls);
        this.lock = session.lock;
        try {
            session.dialer.start();
        } catch (FocException e) {
            close();
            throw e;
        }
        synchronized (lock) {
            if (session.fenced != null) {
                FocFencedException f = session.fenced;
                close();
                throw f;
            }
        }
    }

    public FocClientConfig config() {
        return config;
    }

    /** The owner epoch in force: the configured one, or the one claimed (0 until a claim succeeded). */
    public long ownerEpoch() {
        return session.ownerEpoch();
    }

    public FocState state() {
        return session.states.get();
    }

    /** Calls {@code listener} with every later state change, on the thread that caused it. */
    public void addStateListener(Consumer<FocState> listener) {
        session.states.addListener(listener);
    }

    /**
     * Moves this client to the FOC server at {@code address} ({@code HOST:PORT}): the current connection
     * closes (DEGRADED), the next one goes there, registers with the epoch in force, has the server remove
     * every entry with a tag up to {@code obsoleteUpTo} (what an earlier owner or open left there), and
     * re-sends every kept entry; OK once the new server acknowledged all of them.
     *
     * @throws IllegalArgumentException if {@code address} is not HOST:PORT
     * @throws FocFencedException if fenced; FocException if closed
     */
    public void retarget(String address, long obsoleteUpTo) {
        FocClientConfig parsed = FocClientConfig.of(address, config.volumeId(), config.clusterSize(), 0);
        session.retarget(java.net.InetSocketAddress.createUnresolved(parsed.host(), parsed.port()), obsoleteUpTo);
    }

    /** True when OK (every kept entry acknowledged) on a connection to {@code server} ({@code HOST:PORT}). */
    public boolean okAt(String server) {
        return session.okAt(server);
    }

    /** The server this client connects to now, {@code HOST:PORT}. */
    public String server() {
        return session.server();
    }

    /** Highest sequence number acknowledged by the server (all lower ones too). */
    public long ackedSeq() {
        synchronized (lock) {
            return session.ackedSeq;
        }
    }

    /** ADD_ENTRIES frames sent so far (re-sends included): with {@link #ackedSeq()}, the batching achieved. */
    public long addFramesSent() {
        synchronized (lock) {
            return session.outbox.addFramesSentLocked();
        }
    }

    /** Bytes of entries kept for re-sending. */
    public long retainedBytes() {
        synchronized (lock) {
            return session.kept.bytes();
        }
    }

    /**
     * Copies the entry into the current batch and returns its sequence number; never waits on
     * the network. {@code scoTag} is the owner's tag of the SCO the cluster went to (see
     * {@link io.scoria.accelerator.foc.FailoverCache#add}). {@code cluster.remaining()} must be the
     * cluster size; its position is unchanged.
     *
     * @throws FocFencedException when fenced
     * @throws FocException when closed or the kept entries would exceed {@code maxRetainedBytes}
     */
    public long append(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster) {
        if (lba < 0) {
            throw new IllegalArgumentException("lba: must be >= 0, got " + lba);
        }
        if (scoTag < 0 || offsetInSco < 0 || scoVersion < 0) {
            throw new IllegalArgumentException("location: SCO tag, offset and version must be >= 0, got "
                    + scoTag + "/" + offsetInSco + "/" + scoVersion);
        }
        if (cluster == null || cluster.remaining() != config.payloadBytes()) {
            throw new IllegalArgumentException("cluster: remaining() must be the entry payload size " + config.payloadBytes()
                    + ", got " + (cluster == null ? "null" : cluster.remaining()));
        }
        synchronized (lock) {
            session.checkUsableLocked();
            long seq = session.kept.append(lba, scoTag, offsetInSco, scoVersion, cluster);
            session.outbox.scheduleLocked();
            return seq;
        }
    }

    /**
     * Completes on {@code executor} when the server acknowledged entry {@code seq} and all earlier
     * ones, or when {@link #removeUpTo} dropped it first (it is on the backend, or obsolete); fails
     * at once with {@link FocUnavailableException} when not connected (or later, when the
     * connection breaks first), with {@link FocFencedException} when fenced.
     */
    public CompletableFuture<Void> ackedAsync(long seq, Executor executor) {
        if (executor == null) {
            throw new IllegalArgumentException("executor: must not be null");
        }
        synchronized (lock) {
            KeptEntries kept = session.kept;
            if (seq > kept.lastSeq() || seq < 0) {
                throw new IllegalArgumentException("seq: " + seq + " was not returned by append (last "
                        + kept.lastSeq() + ")");
            }
            if (seq <= session.ackedSeq || !kept.holds(seq)) {
                return CompletableFuture.completedFuture(null); // acknowledged, or removed (on the backend) already
            }
            if (session.fenced != null || session.closed || session.outbox.connectionLocked() == null) {
                return CompletableFuture.failedFuture(session.fenced != null ? session.fenced
                        : session.closed ? session.closedException() : session.unavailable("not connected"));
            }
            return session.waiters.add(seq, executor);
        }
    }

    /** {@link #append} then {@link #ackedAsync} of that entry. */
    public CompletableFuture<Void> addAsync(long lba, long scoTag, int offsetInSco, int scoVersion,
                                            ByteBuffer cluster, Executor executor) {
        return ackedAsync(append(lba, scoTag, offsetInSco, scoVersion, cluster), executor);
    }

    /** Makes every appended entry durable on the server (fsync). */
    public void flush() {
        await(queueControl(FocProtocol.FLUSH, 0, null), "FLUSH");
    }

    /**
     * Forgets the entries of SCO tags up to and including {@code scoTag} and deletes them on the
     * server; if not connected, the server is told on reconnection (this call then returns at once).
     */
    public void removeUpTo(long scoTag) {
        Pending p;
        List<AckWaiters.Waiter> dropped;
        synchronized (lock) {
            session.checkUsableLocked();
            Outbox outbox = session.outbox;
            if (!session.kept.removeUpTo(scoTag, outbox::droppingLocked)) {
                return;
            }
            outbox.forgetReleasedLocked();
            dropped = session.waiters.pollIf(seq -> seq > session.ackedSeq && !session.kept.holds(seq));
            p = outbox.connectionLocked() == null ? null
                    : outbox.queueControlLocked(FocProtocol.REMOVE_UP_TO, scoTag, null);
            session.maybeOkLocked();
        }
        session.states.notifyListeners();
        AckWaiters.complete(dropped, null);
        if (p != null) {
            try {
                await(p, "REMOVE_UP_TO");
            } catch (FocUnavailableException e) {
                LOG.debug("FOC volume {}: REMOVE_UP_TO {} will be sent on reconnection", config.volumeId(), scoTag);
            }
        }
    }

    /** Streams every entry the server holds for the volume to {@code consumer} (on the I/O thread); returns the count. */
    public long replay(FocEntryConsumer consumer) {
        if (consumer == null) {
            throw new IllegalArgumentException("consumer: must not be null");
        }
        return await(queueControl(FocProtocol.GET_ENTRIES, 0, consumer), "GET_ENTRIES");
    }

    /** Deletes every entry of the volume on the server and forgets the kept ones. */
    public void unregister() {
        await(queueControl(FocProtocol.UNREGISTER, 0, null), "UNREGISTER");
        synchronized (lock) {
            session.kept.clear();
            session.outbox.forgetBatchesLocked();
        }
    }

    private Pending queueControl(byte op, long arg, FocEntryConsumer consumer) {
        synchronized (lock) {
            session.checkUsableLocked();
            if (session.outbox.connectionLocked() == null) {
                throw session.unavailable("not connected");
            }
            return session.outbox.queueControlLocked(op, arg, consumer);
        }
    }

    private long await(Pending p, String what) {
        long step = config.requestTimeout().toNanos();
        while (true) {
            try {
                return p.future.get(step, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (System.nanoTime() - p.deadline > step) {
                    throw session.unavailable(what + " got no reply");
                }
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof FocException) {
                    throw (FocException) c;
                }
                throw new FocException(what + " failed: " + c, c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FocException(what + " interrupted");
            }
        }
    }

    /** Closes the connection and the I/O thread and releases the kept entries; idempotent. */
    @Override
    public void close() {
        session.close();
    }
}
