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
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocProtocolException;
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
import java.util.PriorityQueue;
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
 * <p>Entries ({@link #append}) are copied into batches (one SCO per batch) that are sent on
 * the client's I/O thread as soon as it is free, at most {@code maxInFlightBatches} unacknowledged
 * frames at a time: under load many writes share one round trip. Every batch is kept until
 * {@link #removeUpTo} drops its SCO. <b>Re-send contract:</b> after a reconnection the client
 * itself re-sends, in order, every kept entry (acknowledged or not) and reports
 * {@link FocState#DEGRADED} until the server acknowledged all of them, then {@link FocState#OK};
 * the owner does not re-read its SCOs. The server may thus hold an entry twice; replay order
 * (SCO, then arrival) makes that harmless.
 *
 * <p>Never blocks forever: while not connected, {@link #ackedAsync} fails at once with
 * {@link FocUnavailableException}, {@link #flush()} and {@link #replay} throw it, and a request
 * without reply for {@code requestTimeout} breaks the connection. {@link FocFencedException}
 * is terminal (state {@link FocState#FENCED}).
 *
 * <p>Thread-safe. One lock guards the batches and state; it is never held across I/O (Netty
 * writes from it are only queued). The caller keeps ownership of buffers passed in.
 */
public final class FocClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FocClient.class);

    private final FocClientConfig config;
    private final int entryBytes;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final List<Consumer<FocState>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final Runnable sendTask = this::sendQueued;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();

    // guarded by lock
    private FocState state = FocState.DEGRADED;
    private Connection conn;
    private long lastSeq;
    private long ackedSeq;
    private Batch open;
    private final ArrayDeque<Batch> retained = new ArrayDeque<>();
    private final ArrayDeque<Object> sendQueue = new ArrayDeque<>();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
    private long retainedBytes;
    private long removedUpTo = -1;
    private int inFlight;
    private int resendOutstanding;
    private boolean sendScheduled;
    private long backoffNanos;
    private FocFencedException fenced;
    private boolean closed;
    /** The connection whose REGISTER is outstanding, for the timeout check. */
    private volatile Connection connecting;

    private record Waiter(long seq, CompletableFuture<Void> future, Executor executor) implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            return Long.compare(seq, o.seq);
        }
    }

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
        this.entryBytes = FocProtocol.entryBytes(config.clusterSize());
        this.backoffNanos = config.reconnectMin().toNanos();
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
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
                throw (FocException) e.getCause(); // refused for good: protocol version, cluster size, corrupt files
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

    /** Bytes of entries kept for re-sending. */
    public long retainedBytes() {
        synchronized (lock) {
            return retainedBytes;
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
        boolean schedule;
        long seq;
        synchronized (lock) {
            checkUsable();
            if (scoNumber <= removedUpTo) {
                throw new IllegalArgumentException("scoNumber: SCO " + scoNumber
                        + " was already removed (declared on the backend) up to " + removedUpTo);
            }
            if (retainedBytes + entryBytes > config.maxRetainedBytes()) {
                throw new FocException("FOC volume " + config.volumeId() + ": " + retainedBytes
                        + " bytes of entries kept for re-sending reach maxRetainedBytes " + config.maxRetainedBytes()
                        + "; removeUpTo must be called once SCOs are on the backend");
            }
            if (open != null && (open.scoNumber != scoNumber || open.count == config.maxBatchEntries())) {
                sealOpen();
            }
            if (open == null) {
                open = new Batch(scoNumber, alloc.directBuffer(entryBytes * Math.min(4, config.maxBatchEntries()),
                        entryBytes * config.maxBatchEntries()));
            }
            ByteBuf b = open.entries;
            b.writeLong(lba).writeLong(scoNumber).writeInt(offsetInSco).writeInt(scoVersion);
            int pos = cluster.position();
            b.writeBytes(cluster);
            cluster.position(pos);
            seq = ++lastSeq;
            if (open.count++ == 0) {
                open.firstSeq = seq;
            }
            open.lastSeq = seq;
            retainedBytes += entryBytes;
            schedule = conn != null && !sendScheduled;
            if (schedule) {
                sendScheduled = true;
            }
        }
        if (schedule) {
            group.execute(sendTask);
        }
        return seq;
    }

    /**
     * Completes on {@code executor} when the server acknowledged entry {@code seq} and all earlier
     * ones; fails at once with {@link FocUnavailableException} when not connected (or later, when
     * the connection breaks first), with {@link FocFencedException} when fenced.
     */
    public CompletableFuture<Void> ackedAsync(long seq, Executor executor) {
        if (executor == null) {
            throw new IllegalArgumentException("executor: must not be null");
        }
        synchronized (lock) {
            if (seq > lastSeq || seq < 0) {
                throw new IllegalArgumentException("seq: " + seq + " was not returned by append (last " + lastSeq + ")");
            }
            if (seq <= ackedSeq) {
                return CompletableFuture.completedFuture(null);
            }
            if (fenced != null || closed || conn == null) {
                return CompletableFuture.failedFuture(fenced != null ? fenced : closed
                        ? new FocException("FOC client of volume " + config.volumeId() + " is closed")
                        : unavailable("not connected"));
            }
            Waiter w = new Waiter(seq, new CompletableFuture<>(), executor);
            waiters.add(w);
            return w.future;
        }
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
        synchronized (lock) {
            checkUsable();
            if (scoNumber <= removedUpTo) {
                return;
            }
            removedUpTo = scoNumber;
            if (open != null && open.scoNumber <= scoNumber) {
                sealOpen();
            }
            retained.removeIf(b -> {
                if (b.scoNumber > scoNumber) {
                    return false;
                }
                if (b.inResend && b.sentOn != conn) {
                    b.inResend = false;
                    resendOutstanding--;
                }
                retainedBytes -= (long) b.count * entryBytes;
                b.release();
                return true;
            });
            sendQueue.removeIf(o -> o instanceof Batch && ((Batch) o).released);
            p = conn == null ? null : queueLocked(FocProtocol.REMOVE_UP_TO, scoNumber, null);
            maybeOkLocked();
        }
        notifyState();
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
            for (Batch b : retained) {
                b.release();
            }
            retained.clear();
            sendQueue.removeIf(o -> o instanceof Batch);
            retainedBytes = 0;
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

    private Pending queueLocked(byte op, long arg, FocEntryConsumer consumer) {
        sealOpen();
        Pending p = new Pending(op, conn.nextRequestId(), null, arg, consumer);
        p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
        sendQueue.add(p);
        if (!sendScheduled) {
            sendScheduled = true;
            group.execute(sendTask);
        }
        return p;
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
            throw new FocException("FOC client of volume " + config.volumeId() + " is closed");
        }
    }

    private FocUnavailableException unavailable(String why) {
        return new FocUnavailableException("FOC server " + config.host() + ":" + config.port() + " for volume "
                + config.volumeId() + ": " + why);
    }

    private void sealOpen() {
        if (open != null && open.count > 0) {
            open.sealed = true;
            retained.add(open);
            sendQueue.add(open);
            open = null;
        }
    }

    /** On the I/O thread: sends queued batches (within the window) and control requests, in order. */
    private void sendQueued() {
        synchronized (lock) {
            sendScheduled = false;
            Connection c = conn;
            if (c == null) {
                return;
            }
            while (true) {
                if (sendQueue.isEmpty()) {
                    if (inFlight >= config.maxInFlightBatches() || open == null || open.count == 0) {
                        break;
                    }
                    sealOpen();
                }
                Object head = sendQueue.peek();
                if (head instanceof Batch) {
                    if (inFlight >= config.maxInFlightBatches()) {
                        break;
                    }
                    Batch b = (Batch) sendQueue.poll();
                    Pending p = new Pending(FocProtocol.ADD_ENTRIES, c.nextRequestId(), b, 0, null);
                    p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
                    c.pending.put(p.requestId, p);
                    ByteBuf head4 = FocProtocol.begin(alloc, FocProtocol.ADD_ENTRIES, p.requestId, 4).writeInt(b.count);
                    c.channel.write(FocProtocol.finishWithBody(alloc, head4, b.entries.retainedSlice()));
                    b.sentOn = c;
                    inFlight++;
                } else {
                    Pending p = (Pending) sendQueue.poll();
                    p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
                    c.pending.put(p.requestId, p);
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

    /** On the I/O thread: a reply {@code op} (payload in {@code f}) to {@code p} on {@code c}. */
    void onReply(Connection c, Pending p, byte op, ByteBuf f) {
        if (op == FocProtocol.FENCED) {
            FocProtocol.need(f, 8, "FENCED");
            onFenced(c, new FocFencedException(config.volumeId(), config.ownerEpoch(), f.readLong()));
            return;
        }
        if (op == FocProtocol.ERROR) {
            String msg = FocProtocol.readString(f, "ERROR");
            if (p.opcode == FocProtocol.REGISTER || p.opcode == FocProtocol.ADD_ENTRIES) {
                LOG.error("FOC server {}:{} refused {} of volume {}: {}", config.host(), config.port(),
                        FocProtocol.opcodeName(p.opcode), config.volumeId(), msg);
                c.close("server error: " + msg);
            }
            p.future.completeExceptionally(new FocException("FOC server refused "
                    + FocProtocol.opcodeName(p.opcode) + ": " + msg));
            return;
        }
        switch (op) {
            case FocProtocol.OK:
                if (p.opcode == FocProtocol.REGISTER) {
                    FocProtocol.need(f, 14, "REGISTER reply");
                    if (f.readInt() != FocProtocol.MAGIC || f.readShort() != FocProtocol.VERSION) {
                        throw new FocProtocolException("REGISTER reply with bad magic or version");
                    }
                    onRegistered(c);
                } else if (p.opcode == FocProtocol.ADD_ENTRIES) {
                    onAdded(c, p.batch);
                } else {
                    p.future.complete(0L);
                }
                return;
            case FocProtocol.ENTRIES:
                readEntries(p, f);
                return;
            case FocProtocol.ENTRIES_END:
                FocProtocol.need(f, 8, "ENTRIES_END");
                long total = f.readLong();
                if (total != p.received) {
                    throw new FocProtocolException("GET_ENTRIES announced " + total + " entries, received " + p.received);
                }
                p.future.complete(total);
                return;
            default:
                throw new FocProtocolException("unexpected reply " + FocProtocol.opcodeName(op));
        }
    }

    private void readEntries(Pending p, ByteBuf f) {
        if (p.opcode != FocProtocol.GET_ENTRIES) {
            throw new FocProtocolException("ENTRIES reply to " + FocProtocol.opcodeName(p.opcode));
        }
        FocProtocol.need(f, 4, "ENTRIES");
        int n = f.readInt();
        if (n < 0 || (long) n * entryBytes != f.readableBytes()) {
            throw new FocProtocolException("ENTRIES of " + n + " entries has " + f.readableBytes() + " bytes");
        }
        p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
        for (int i = 0; i < n; i++) {
            long lba = f.readLong();
            long sco = f.readLong();
            int off = f.readInt();
            int ver = f.readInt();
            try {
                p.consumer.accept(lba, sco, off, ver, f.nioBuffer(f.readerIndex(), config.clusterSize()));
            } catch (RuntimeException e) {
                p.future.completeExceptionally(new FocException("replay consumer failed on lba " + lba + ": " + e, e));
                throw e;
            }
            f.skipBytes(config.clusterSize());
        }
        p.received += n;
    }

    private void onAdded(Connection c, Batch b) {
        List<Waiter> done = null;
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
                while (!waiters.isEmpty() && waiters.peek().seq <= ackedSeq) {
                    if (done == null) {
                        done = new ArrayList<>();
                    }
                    done.add(waiters.poll());
                }
            }
            maybeOkLocked();
            if (!sendScheduled) {
                sendScheduled = true;
                group.execute(sendTask);
            }
        }
        notifyState();
        if (done != null) {
            for (Waiter w : done) {
                complete(w, null);
            }
        }
    }

    private void maybeOkLocked() {
        if (state == FocState.DEGRADED && conn != null && resendOutstanding == 0) {
            state = FocState.OK;
            LOG.info("FOC volume {}: connected to {}:{}, state OK", config.volumeId(), config.host(), config.port());
        }
    }

    private void onRegistered(Connection c) {
        synchronized (lock) {
            if (closed || fenced != null) {
                c.close("client closed");
                return;
            }
            c.registered = true;
            conn = c;
            connecting = null;
            backoffNanos = config.reconnectMin().toNanos();
            inFlight = 0;
            sealOpen();
            sendQueue.clear();
            resendOutstanding = 0;
            if (removedUpTo >= 0) {
                Pending p = new Pending(FocProtocol.REMOVE_UP_TO, c.nextRequestId(), null, removedUpTo, null);
                p.future.whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.warn("FOC volume {}: REMOVE_UP_TO on reconnection failed: {}", config.volumeId(), e.toString());
                    }
                });
                sendQueue.add(p);
            }
            for (Batch b : retained) {
                b.inResend = true;
                b.sentOn = null;
                resendOutstanding++;
                sendQueue.add(b);
            }
            if (resendOutstanding > 0) {
                LOG.info("FOC volume {}: re-sending {} batches ({} bytes)", config.volumeId(), resendOutstanding,
                        retainedBytes);
            }
            maybeOkLocked();
            sendScheduled = true;
        }
        firstAttempt.complete(null);
        notifyState();
        sendQueued();
    }

    private void onFenced(Connection c, FocFencedException e) {
        List<Waiter> failed;
        synchronized (lock) {
            fenced = e;
            state = FocState.FENCED;
            conn = null;
            failed = new ArrayList<>(waiters);
            waiters.clear();
        }
        LOG.error("FOC volume {}: {}", config.volumeId(), e.getMessage());
        c.close("fenced");
        failPending(c, e);
        firstAttempt.complete(null);
        notifyState();
        failed.forEach(w -> complete(w, e));
    }

    /** Any thread: {@code c} is gone; fail what waited on it and schedule a reconnection. */
    void onConnectionLost(Connection c, String reason) {
        List<Waiter> failed = List.of();
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
                for (Batch b : retained) {
                    b.inResend = false;
                    b.sentOn = null;
                }
                failed = new ArrayList<>(waiters);
                waiters.clear();
            }
        }
        FocUnavailableException e = unavailable("connection lost: " + reason);
        failPending(c, e);
        if (wasCurrent) {
            LOG.warn("FOC volume {}: {}; DEGRADED, reconnecting", config.volumeId(), e.getMessage());
            notifyState();
            failed.forEach(w -> complete(w, e));
        }
        if (c.registered || wasCurrent) {
            scheduleReconnect();
        }
    }

    private void failPending(Connection c, FocException e) {
        for (Pending p : c.pending.values()) {
            p.future.completeExceptionally(e);
        }
        c.pending.clear();
    }

    private void connect() {
        synchronized (lock) {
            if (closed || fenced != null || conn != null) {
                return;
            }
        }
        Connection c = new Connection(this);
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
                firstAttempt.completeExceptionally(f.cause());
                scheduleReconnect();
                return;
            }
            Pending p = new Pending(FocProtocol.REGISTER, c.nextRequestId(), null, 0, null);
            p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
            c.pending.put(p.requestId, p);
            p.future.whenComplete((v, e) -> {
                if (e != null) {
                    firstAttempt.completeExceptionally(e);
                }
            });
            ByteBuf r = FocProtocol.begin(alloc, FocProtocol.REGISTER, p.requestId, 64);
            r.writeInt(FocProtocol.MAGIC).writeShort(FocProtocol.VERSION).writeLong(config.ownerEpoch())
                    .writeInt(config.clusterSize());
            FocProtocol.writeString(r, config.volumeId());
            c.channel.writeAndFlush(FocProtocol.finish(r));
            c.channel.closeFuture().addListener(x -> {
                if (!c.registered) {
                    failPending(c, unavailable("connection closed during REGISTER"));
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

    private void checkTimeouts() {
        Connection c;
        synchronized (lock) {
            c = conn;
        }
        if (c == null) {
            c = connecting;
        }
        if (c == null) {
            return;
        }
        long now = System.nanoTime();
        for (Pending p : c.pending.values()) {
            long d = p.deadline;
            if (d != 0 && now - d > 0) {
                c.close(FocProtocol.opcodeName(p.opcode) + " got no reply within " + config.requestTimeout());
                return;
            }
        }
    }

    private void complete(Waiter w, Throwable e) {
        try {
            w.executor.execute(() -> {
                if (e == null) {
                    w.future.complete(null);
                } else {
                    w.future.completeExceptionally(e);
                }
            });
        } catch (RuntimeException rejected) {
            if (e == null) {
                w.future.complete(null);
            } else {
                w.future.completeExceptionally(e);
            }
        }
    }

    private FocState lastNotified = FocState.DEGRADED;

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
        List<Waiter> failed;
        Connection c;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (state != FocState.FENCED) {
                state = FocState.CLOSED;
            }
            c = conn;
            conn = null;
            failed = new ArrayList<>(waiters);
            waiters.clear();
            if (open != null) {
                open.release();
                open = null;
            }
            retained.forEach(Batch::release);
            retained.clear();
            sendQueue.clear();
            retainedBytes = 0;
        }
        FocException e = new FocException("FOC client of volume " + config.volumeId() + " is closed");
        if (c != null) {
            c.close("client closed");
            failPending(c, e);
        }
        failed.forEach(w -> complete(w, e));
        notifyState();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
