package io.scoria.accelerator.foc.client;

import io.netty.bootstrap.Bootstrap;
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
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocUnavailableException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.protocol.FrameGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The connection lifecycle of one {@link FocClient}: owns its single I/O thread (a Netty event
 * loop), connects with the connect timeout, starts the handshake and REGISTER on each new connection, reconnects
 * with exponential backoff ({@code reconnectMin} doubled up to {@code reconnectMax}, reset by a
 * successful registration) while the client is neither closed, fenced nor connected, and checks
 * request deadlines periodically: a request without reply for {@code requestTimeout}, or an
 * acknowledgement awaited for twice that, closes the connection (the client then goes DEGRADED).
 *
 * <p>Threads: connects, callbacks and timeout checks run on the I/O thread; {@link #reconnectLater}
 * and {@link #close()} from any thread. Locks: its own monitor guards the backoff, and it never
 * takes it while calling the client. Holds no buffers.
 */
final class Dialer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dialer.class);

    private final ClientSession client;
    private final FocClientConfig config;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    /** The connection whose REGISTER is outstanding, for the timeout check. */
    private volatile Connection connecting;
    /** Where the next connection goes: the configured server, until {@link #retarget}. */
    private volatile InetSocketAddress target;
    private long backoffNanos;

    /** Mutual TLS of every connection, or null. */
    private final io.scoria.accelerator.foc.FocTls tls;

    Dialer(ClientSession client, FocClientConfig config, io.scoria.accelerator.foc.FocTls tls) {
        this.client = client;
        this.config = config;
        this.tls = tls;
        this.backoffNanos = config.reconnectMin().toNanos();
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("foc-client-" + config.volumeId(), true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        config.connectTimeout().toMillis()));
        this.target = InetSocketAddress.createUnresolved(config.host(), config.port());
    }

    /** The client's I/O thread. */
    Executor io() {
        return group;
    }

    /**
     * Starts the first connection and the timeout checks, and waits at most the connect plus request
     * timeout for its registration. Returns normally when registered or when the server is
     * unreachable (the client then runs DEGRADED and keeps retrying).
     *
     * @throws FocException when the server refused the registration for good (fenced, protocol
     *         version, cluster size, corrupt files)
     */
    void start() {
        long tick = Math.max(10, Math.min(250, config.requestTimeout().toMillis() / 4));
        group.scheduleAtFixedRate(this::checkTimeouts, tick, tick, TimeUnit.MILLISECONDS);
        group.execute(this::connect);
        try {
            firstAttempt.get(config.connectTimeout().plus(config.requestTimeout()).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof FocException && !(e.getCause() instanceof FocUnavailableException)) {
                throw (FocException) e.getCause();
            }
            LOG.warn("FOC {}:{} volume {}: not reachable at start ({}), running DEGRADED", config.host(), config.port(),
                    config.volumeId(), e.getCause().toString());
        } catch (TimeoutException e) {
            LOG.warn("FOC {}:{} volume {}: no answer at start, running DEGRADED", config.host(), config.port(),
                    config.volumeId());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** On the I/O thread: {@code c} registered; the backoff starts again from its minimum. */
    void registered() {
        connecting = null;
        synchronized (this) {
            backoffNanos = config.reconnectMin().toNanos();
        }
        firstAttempt.complete(null);
    }

    /** The first attempt (if still running) ended with {@code e}. */
    void attemptFailed(Throwable e) {
        firstAttempt.completeExceptionally(e);
    }

    /** The connection whose REGISTER is outstanding, or null. */
    Connection connecting() {
        return connecting;
    }

    private void connect() {
        if (!client.wantsConnection()) {
            return;
        }
        InetSocketAddress to = target;
        Connection c = new Connection(client, config, to.getHostString() + ":" + to.getPort());
        connecting = c;
        ChannelFuture cf = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (tls != null) {
                    io.netty.handler.ssl.SslHandler ssl = tls.client().newHandler(ch.alloc(), to.getHostString(), to.getPort());
                    ssl.handshakeFuture().addListener(f -> {
                        if (!f.isSuccess()) {
                            LOG.warn("FOC volume {}: TLS handshake with {} failed: {}", config.volumeId(), c.server,
                                    f.cause().toString());
                        }
                    });
                    ch.pipeline().addLast(ssl);
                }
                c.guard = new FrameGuard(true);
                ch.pipeline().addLast(FocProtocol.frameDecoder(), c.guard, c);
            }
        }).connect(resolved(to));
        c.channel = cf.channel();
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                LOG.debug("FOC volume {}: connect to {} failed: {}", config.volumeId(), target, f.cause().toString());
                attemptFailed(client.unavailable("connect failed: " + f.cause()));
                reconnectLater();
                return;
            }
            c.start().future.whenComplete((v, e) -> {
                if (e != null) {
                    attemptFailed(e);
                }
            });
            c.channel.closeFuture().addListener(x -> {
                if (!c.registered) {
                    c.failPending(client.unavailable("connection closed during REGISTER"));
                    reconnectLater();
                }
            });
        });
    }

    private static InetSocketAddress resolved(InetSocketAddress a) {
        return a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
    }

    /** The server the next connection goes to. */
    InetSocketAddress target() {
        return target;
    }

    /**
     * Sends later connections to {@code to} (the volume's fail-over cache moved to another server) and
     * starts the backoff again from its minimum; the current connection, if any, is the caller's to close.
     */
    void retarget(InetSocketAddress to) {
        target = to;
        synchronized (this) {
            backoffNanos = config.reconnectMin().toNanos();
        }
    }

    /** Schedules the next connection attempt after the current backoff, unless the client is done. */
    void reconnectLater() {
        if (!client.wantsConnection()) {
            return;
        }
        long delay;
        synchronized (this) {
            delay = backoffNanos;
            backoffNanos = Math.min(config.reconnectMax().toNanos(), backoffNanos * 2);
        }
        try {
            group.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            LOG.debug("FOC volume {}: reconnect not scheduled: {}", config.volumeId(), e.toString());
        }
    }

    /** On the I/O thread, periodically: closes a connection whose request or acknowledgement is overdue. */
    private void checkTimeouts() {
        long now = System.nanoTime();
        Connection c = client.registeredConnection();
        boolean ackOverdue = c != null && client.ackOverdue(now, 2 * config.requestTimeout().toNanos());
        if (c == null) {
            c = connecting;
        }
        Pending late = c == null ? null : c.overdue(now);
        if (late != null) {
            c.close(FocProtocol.opcodeName(late.opcode) + " got no reply within " + config.requestTimeout());
        } else if (ackOverdue) {
            c.close("an entry waited for its acknowledgement for more than twice " + config.requestTimeout());
        }
    }

    /** Stops the I/O thread (waiting up to 5 s); idempotent. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
