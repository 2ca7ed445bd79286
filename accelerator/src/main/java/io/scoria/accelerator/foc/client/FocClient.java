package io.scoria.accelerator.foc.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.FocUnavailableException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.protocol.FrameChecker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The client of one volume's FOC server. Connects with a timeout, registers with the owner
 * epoch, and keeps reconnecting with exponential backoff while the server is unreachable.
 *
 * <p>Entries ({@link #append}) are copied into batches (one SCO per batch, {@link KeptEntries})
 * that are sent on the client's I/O thread as soon as it is free, at most
 * {@code maxInFlightBatches} unacknowledged frames at a time: under load many writes share one
 * round trip. Every batch is kept until {@link #removeUpTo} drops its SCO. <b>Re-send
 * contract:</b> after a reconnection the client itself re-sends, in order, every kept entry
 * (acknowledged or not) and reports {@link FocState#DEGRADED} until the server acknowledged all of
 * them, then {@link FocState#OK}; the owner does not re-read its SCOs. The server may thus hold an
 * entry twice; replay order (SCO, then arrival) makes that harmless.
 *
 * <p>Never blocks forever: while not connected, {@link #ackedAsync} fails at once with
 * {@link FocUnavailableException}, {@link #flush()} and {@link #replay} throw it, and a request
 * without reply for {@code requestTimeout} breaks the connection. {@link FocFencedException}
 * is terminal (state {@link FocState#FENCED}).
 *
 * <p>Thread-safe. One lock guards the batches and state; it is never held across I/O (Netty
 * writes from it are only queued; the socket write, the flush, happens after it is released). The
 * caller keeps ownership of buffers passed in.
 */
public final class FocClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FocClient.class);

    private final FocClientConfig config;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final List<Consumer<FocState>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final Runnable sendTask = this::sendQueued;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    /** The connection whose REGISTER is outstanding, for the timeout check. */
    private volatile Connection connecting;

    // guarded by lock
    private final ArrayDeque<Object> sendQueue = new ArrayDeque<>();
    private final KeptEntries kept;
    private final AckWaiters waiters = new AckWaiters();
    private FocState state = FocState.DEGRADED;
    private FocState lastNotified = FocState.DEGRADED;
    private Connection conn;
    private long ackedSeq;
    private long addFramesSent;
    private int inFlight;
    private int resendOutstanding;
    private boolean sendScheduled;
    private long backoffNanos;
    private FocFencedException fenced;
    private boolean closed;

    /**
     * Connects and registers, waiting at most the connect plus request timeout; if the server is
     * unreachable the client starts {@link FocState#DEGRADED} and keeps retrying.
     *
     * @throws FocFencedException if the server holds a newer owner epoch for the volume
     * @throws FocException if the server refuses the registration for another reason (protocol
     *         version, a different cluster size for the volume, corrupt files); the message says which
     */
    public FocClient(FocClientConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config: must not be null");
        }
        this.config = config;
        this.kept = new KeptEntries(alloc, config.volumeId(), config.clusterSize(),
                FocProtocol.entryBytes(config.clusterSize()), config.maxBatchEntries(), config.maxRetainedBytes(),
                sendQueue::add);
        this.backoffNanos = config.reconnectMin().toNanos();
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("foc-client-" + config.volumeId(), true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        config.connectTimeout().toMillis()))
                .remoteAddress(config.host(), config.port());
        long tick = Math.max(10, Math.min(250, config.requestTimeout().toMillis() / 4));
        group.scheduleAtFixedRate(this::checkTimeouts, tick, tick, TimeUnit.MILLISECONDS);
        group.execute(this::connect);
        try {
            firstAttempt.get(config.connectTimeout().plus(config.requestTimeout()).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof FocException && !(e.getCause() instanceof FocUnavailableException)) {
                close();
                throw (FocException) e.getCause(); // refused for good: fenced, protocol version, cluster size, corrupt files
            }
            LOG.warn("FOC {}:{} volume {}: not reachable at start ({}), running DEGRADED", config.host(), config.port(),
                    config.volumeId(), e.getCause().toString());
        } catch (TimeoutException e) {
            LOG.warn("FOC {}:{} volume {}: no answer at start, running DEGRADED", config.host(), config.port(),
                    config.volumeId());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            if (fenced != null) {
                FocFencedException f = fenced;
                close();
                throw f;
            }
        }
    }

    public FocClientConfig config() {
        return config;
    }

    public FocState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** Calls {@code listener} with every later state change, on the thread that caused it. */
    public void addStateListener(Consumer<FocState> listener) {
        listeners.add(listener);
    }

    /** Highest sequence number acknowledged by the server (all lower ones too). */
    public long ackedSeq() {
        synchronized (lock) {
            return ackedSeq;
        }
    }

    /** ADD_ENTRIES frames sent so far (re-sends included): with {@link #ackedSeq()}, the batching achieved. */
    public long addFramesSent() {
        synchronized (lock) {
            return addFramesSent;
        }
    }

    /** Bytes of entries kept for re-sending. */
    public long retainedBytes() {
        synchronized (lock) {
            return kept.bytes();
        }
    }

    /**
     * Copies the entry into the current batch and returns its sequence number; never waits on
     * the network. {@code cluster.remaining()} must be the cluster size; its position is unchanged.
     *
     * @throws FocFencedException when fenced
     * @throws FocException when closed or the kept entries would exceed {@code maxRetainedBytes}
     */
    public long append(long lba, long scoNumber, int offsetInSco, int scoVersion, ByteBuffer cluster) {
        if (lba < 0) {
            throw new IllegalArgumentException("lba: must be >= 0, got " + lba);
        }
        if (scoNumber < 0 || offsetInSco < 0 || scoVersion < 0) {
            throw new IllegalArgumentException("location: SCO number, offset and version must be >= 0, got "
                    + scoNumber + "/" + offsetInSco + "/" + scoVersion);
        }
        if (cluster == null || cluster.remaining() != config.clusterSize()) {
            throw new IllegalArgumentException("cluster: remaining() must be the cluster size " + config.clusterSize()
                    + ", got " + (cluster == null ? "null" : cluster.remaining()));
        }
        long seq;
        synchronized (lock) {
            checkUsable();
            seq = kept.append(lba, scoNumber, offsetInSco, scoVersion, cluster);
            scheduleSendLocked();
        }
        return seq;
    }

    /**
     * Completes on {@code executor} when the server acknowledged entry {@code seq} and all earlier
     * ones, or when {@link #removeUpTo} dropped it first (it is on the backend, or obsolete); fails at once with {@link FocUnavailableException} when not connected (or later, when
     * the connection breaks first), with {@link FocFencedException} when fenced.
     */
    public CompletableFuture<Void> ackedAsync(long seq, Executor executor) {
        if (executor == null) {
            throw new IllegalArgumentException("executor: must not be null");
        }
        synchronized (lock) {
            if (seq > kept.lastSeq() || seq < 0) {
                throw new IllegalArgumentException("seq: " + seq + " was not returned by append (last "
                        + kept.lastSeq() + ")");
            }
            if (seq <= ackedSeq || !kept.holds(seq)) {
                return CompletableFuture.completedFuture(null); // acknowledged, or removed (on the backend) already
            }
            if (fenced != null || closed || conn == null) {
                return CompletableFuture.failedFuture(fenced != null ? fenced : closed ? closedException()
                        : unavailable("not connected"));
            }
            return waiters.add(seq, executor);
        }
    }

    /** {@link #append} then {@link #ackedAsync} of that entry. */
    public CompletableFuture<Void> addAsync(long lba, long scoNumber, int offsetInSco, int scoVersion,
                                            ByteBuffer cluster, Executor executor) {
        return ackedAsync(append(lba, scoNumber, offsetInSco, scoVersion, cluster), executor);
    }

    /** Makes every appended entry durable on the server (fsync). */
    public void flush() {
        await(queueControl(FocProtocol.FLUSH, 0, null), "FLUSH");
    }

    /**
     * Forgets the entries of SCOs up to and including {@code scoNumber} and deletes them on the
     * server; if not connected, the server is told on reconnection (this call then returns at once).
     */
    public void removeUpTo(long scoNumber) {
        Pending p;
        List<AckWaiters.Waiter> dropped;
        synchronized (lock) {
            checkUsable();
            if (!kept.removeUpTo(scoNumber, b -> {
                if (b.inResend && b.sentOn != conn) {
                    b.inResend = false;
                    resendOutstanding--;
                }
            })) {
                return;
            }
            sendQueue.removeIf(o -> o instanceof Batch && ((Batch) o).released);
            dropped = waiters.pollIf(seq -> seq > ackedSeq && !kept.holds(seq));
            p = conn == null ? null : queueLocked(FocProtocol.REMOVE_UP_TO, scoNumber, null);
            maybeOkLocked();
        }
        notifyState();
        AckWaiters.complete(dropped, null);
        if (p != null) {
            try {
                await(p, "REMOVE_UP_TO");
            } catch (FocUnavailableException e) {
                LOG.debug("FOC volume {}: REMOVE_UP_TO {} will be sent on reconnection", config.volumeId(), scoNumber);
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
            kept.clear();
            sendQueue.removeIf(o -> o instanceof Batch);
        }
    }

    private Pending queueControl(byte op, long arg, FocEntryConsumer consumer) {
        synchronized (lock) {
            checkUsable();
            if (conn == null) {
                throw unavailable("not connected");
            }
            return queueLocked(op, arg, consumer);
        }
    }

    /** Queues a control request behind every entry appended so far. */
    private Pending queueLocked(byte op, long arg, FocEntryConsumer consumer) {
        kept.sealOpen();
        Pending p = new Pending(op, conn.nextRequestId(), null, arg, consumer);
        p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
        sendQueue.add(p);
        scheduleSendLocked();
        return p;
    }

    /**
     * Wakes the I/O thread to send, unless the window of unacknowledged ADD frames is full: then
     * everything queued waits behind a batch anyway, and the next acknowledgement sends it
     * ({@link #onAdded}), so a write adds no thread wake-up while a round trip is under way.
     */
    private void scheduleSendLocked() {
        if (conn != null && !sendScheduled && inFlight < config.maxInFlightBatches()) {
            sendScheduled = true;
            group.execute(sendTask);
        }
    }

    private long await(Pending p, String what) {
        long step = config.requestTimeout().toNanos();
        while (true) {
            try {
                return p.future.get(step, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (System.nanoTime() - p.deadline > step) {
                    throw unavailable(what + " got no reply");
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

    private void checkUsable() {
        if (fenced != null) {
            throw fenced;
        }
        if (closed) {
            throw closedException();
        }
    }

    private FocException closedException() {
        return new FocException("FOC client of volume " + config.volumeId() + " is closed");
    }

    private FocUnavailableException unavailable(String why) {
        return new FocUnavailableException("FOC server " + config.host() + ":" + config.port() + " for volume "
                + config.volumeId() + ": " + why);
    }

    /**
     * On the I/O thread: sends queued batches (within the window) and control requests, in order.
     * Under the lock it only takes them off the queue (and a reference to each batch's entries);
     * the frames, with their CRC32C over the entries, are built and written after it is released.
     */
    private void sendQueued() {
        Connection c;
        ArrayList<Pending> out = null;
        synchronized (lock) {
            sendScheduled = false;
            c = conn;
            if (c == null) {
                return;
            }
            while (true) {
                if (sendQueue.isEmpty()) {
                    if (inFlight >= config.maxInFlightBatches() || !kept.hasOpenEntries()) {
                        break;
                    }
                    kept.sealOpen();
                }
                Object head = sendQueue.peek();
                Pending p;
                if (head instanceof Batch) {
                    if (inFlight >= config.maxInFlightBatches()) {
                        break;
                    }
                    Batch b = (Batch) sendQueue.poll();
                    p = new Pending(FocProtocol.ADD_ENTRIES, c.nextRequestId(), b, 0, null);
                    p.body = b.entries.retainedSlice();
                    p.count = b.count;
                    b.sentOn = c;
                    inFlight++;
                    addFramesSent++;
                } else {
                    p = (Pending) sendQueue.poll();
                }
                p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
                c.pending.put(p.requestId, p);
                if (out == null) {
                    out = new ArrayList<>();
                }
                out.add(p);
            }
        }
        if (out == null) {
            return;
        }
        for (Pending p : out) { // only this thread writes to the channel: the order stays
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

    /** On the I/O thread: the server acknowledged batch {@code b} on {@code c}. */
    void onAdded(Connection c, Batch b) {
        List<AckWaiters.Waiter> done = null;
        synchronized (lock) {
            if (conn != c) {
                return;
            }
            inFlight--;
            if (b.inResend) {
                b.inResend = false;
                resendOutstanding--;
            }
            if (b.lastSeq > ackedSeq) {
                ackedSeq = b.lastSeq;
                done = waiters.pollUpTo(ackedSeq);
            }
            maybeOkLocked();
        }
        sendQueued(); // on the I/O thread already: what accumulated during the round trip goes now
        notifyState();
        AckWaiters.complete(done, null);
    }

    private void maybeOkLocked() {
        if (state == FocState.DEGRADED && conn != null && resendOutstanding == 0) {
            state = FocState.OK;
            LOG.info("FOC volume {}: connected to {}:{}, state OK", config.volumeId(), config.host(), config.port());
        }
    }

    /** On the I/O thread: REGISTER succeeded; queue the removal watermark and every kept batch. */
    void onRegistered(Connection c) {
        synchronized (lock) {
            if (closed || fenced != null) {
                c.close("client closed");
                return;
            }
            conn = c;
            connecting = null;
            backoffNanos = config.reconnectMin().toNanos();
            inFlight = 0;
            kept.sealOpen();
            sendQueue.clear();
            resendOutstanding = 0;
            if (kept.removedUpTo() >= 0) {
                Pending p = new Pending(FocProtocol.REMOVE_UP_TO, c.nextRequestId(), null, kept.removedUpTo(), null);
                p.future.whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.warn("FOC volume {}: REMOVE_UP_TO on reconnection failed: {}", config.volumeId(), e.toString());
                    }
                });
                sendQueue.add(p);
            }
            for (Batch b : kept.sealedBatches()) {
                b.inResend = true;
                b.sentOn = null;
                resendOutstanding++;
                sendQueue.add(b);
            }
            if (resendOutstanding > 0) {
                LOG.info("FOC volume {}: re-sending {} batches ({} bytes)", config.volumeId(), resendOutstanding,
                        kept.bytes());
            }
            maybeOkLocked();
            sendScheduled = true;
        }
        firstAttempt.complete(null);
        notifyState();
        sendQueued();
    }

    /** On the I/O thread: the server knows a newer owner. Terminal. */
    void onFenced(Connection c, FocFencedException e) {
        List<AckWaiters.Waiter> failed;
        synchronized (lock) {
            fenced = e;
            state = FocState.FENCED;
            conn = null;
            failed = waiters.drain();
        }
        LOG.error("FOC volume {}: {}", config.volumeId(), e.getMessage());
        c.close("fenced");
        c.failPending(e);
        firstAttempt.completeExceptionally(e);
        notifyState();
        AckWaiters.complete(failed, e);
    }

    /** Any thread: {@code c} is gone; fail what waited on it and schedule a reconnection. */
    void onConnectionLost(Connection c, String reason) {
        List<AckWaiters.Waiter> failed = null;
        boolean wasCurrent;
        synchronized (lock) {
            wasCurrent = conn == c;
            if (wasCurrent) {
                conn = null;
                if (state == FocState.OK) {
                    state = FocState.DEGRADED;
                }
                inFlight = 0;
                sendQueue.clear();
                resendOutstanding = 0;
                for (Batch b : kept.sealedBatches()) {
                    b.inResend = false;
                    b.sentOn = null;
                }
                failed = waiters.drain();
            }
        }
        FocUnavailableException e = unavailable("connection lost: " + reason);
        c.failPending(e);
        if (wasCurrent) {
            LOG.warn("FOC volume {}: {}; DEGRADED, reconnecting", config.volumeId(), e.getMessage());
            notifyState();
            AckWaiters.complete(failed, e);
            scheduleReconnect();
        }
    }

    private void connect() {
        synchronized (lock) {
            if (closed || fenced != null || conn != null) {
                return;
            }
        }
        Connection c = new Connection(this, config);
        connecting = c;
        ChannelFuture cf = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(FocProtocol.frameDecoder(), new FrameChecker(), c);
            }
        }).connect();
        c.channel = cf.channel();
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                LOG.debug("FOC volume {}: connect to {}:{} failed: {}", config.volumeId(), config.host(), config.port(),
                        f.cause().toString());
                firstAttempt.completeExceptionally(unavailable("connect failed: " + f.cause()));
                scheduleReconnect();
                return;
            }
            c.sendRegister().future.whenComplete((v, e) -> {
                if (e != null) {
                    firstAttempt.completeExceptionally(e);
                }
            });
            c.channel.closeFuture().addListener(x -> {
                if (!c.registered) {
                    c.failPending(unavailable("connection closed during REGISTER"));
                    scheduleReconnect();
                }
            });
        });
    }

    private void scheduleReconnect() {
        long delay;
        synchronized (lock) {
            if (closed || fenced != null) {
                return;
            }
            delay = backoffNanos;
            backoffNanos = Math.min(config.reconnectMax().toNanos(), backoffNanos * 2);
        }
        try {
            group.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            LOG.debug("FOC volume {}: reconnect not scheduled: {}", config.volumeId(), e.toString());
        }
    }

    /**
     * On the I/O thread, periodically: a request past its deadline, or an acknowledgement awaited for
     * longer than twice the request timeout, breaks the connection (which fails the waiters: DEGRADED).
     */
    private void checkTimeouts() {
        long now = System.nanoTime();
        Connection c;
        boolean ackOverdue;
        synchronized (lock) {
            c = conn;
            ackOverdue = now - waiters.oldestSince(now) > 2 * config.requestTimeout().toNanos();
        }
        if (c == null) {
            c = connecting;
        }
        Pending late = c == null ? null : c.overdue(now);
        if (late != null) {
            c.close(FocProtocol.opcodeName(late.opcode) + " got no reply within " + config.requestTimeout());
        } else if (ackOverdue && c != null) {
            c.close("an entry waited for its acknowledgement for more than twice " + config.requestTimeout());
        }
    }

    private void notifyState() {
        FocState s;
        synchronized (lock) {
            s = state;
            if (s == lastNotified) {
                return;
            }
            lastNotified = s;
        }
        for (Consumer<FocState> l : listeners) {
            try {
                l.accept(s);
            } catch (RuntimeException e) {
                LOG.warn("FOC state listener failed: {}", e.toString());
            }
        }
    }

    /** Closes the connection and the I/O thread and releases the kept entries; idempotent. */
    @Override
    public void close() {
        List<AckWaiters.Waiter> failed;
        Connection c;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (state != FocState.FENCED) {
                state = FocState.CLOSED;
            }
            c = conn != null ? conn : connecting;
            conn = null;
            failed = waiters.drain();
            kept.clear();
            sendQueue.clear();
        }
        FocException e = closedException();
        if (c != null) {
            c.close("client closed");
            c.failPending(e);
        }
        AckWaiters.complete(failed, e);
        notifyState();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
