package io.scoria.accelerator.foc.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.FocSecret;
import io.scoria.accelerator.foc.protocol.FrameGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fail-over cache server ({@code scoria foc-server --listen HOST:PORT --dir DIR [--secret-file F]}): keeps,
 * per volume and per SCO, an append-only file of the entries that volume's owner added and has
 * not yet removed (see {@link ScoFile}), stores the highest owner epoch per volume durably and
 * refuses requests of older owners (fencing). Survives its own crash: on first use of a volume
 * after a restart its files are scanned and torn tails truncated.
 *
 * <p>Layout: {@code DIR/<volume id>/volume.meta} and {@code DIR/<volume id>/sco-<16 hex>.foc}.
 * Adds are written (not fsynced) before their reply: they survive a crash of this process;
 * FLUSH fsyncs them, so they also survive a crash of the node.
 *
 * <p>Authentication: with the cluster's {@link FocSecret} every connection must prove it (handshake,
 * then an HMAC on every frame, see {@link FocProtocol}) before any request reaches a volume.
 * Without one the server only binds a loopback address, and warns: any local process can then
 * read, add, drop or fence any volume.
 *
 * <p>Threads: one accept thread, two event loops ({@code foc-io}), and two threads per volume
 * ({@link VolumeThreads}). All methods may be called from any thread. The constructor binds and
 * returns ready; {@link #close()} is idempotent.
 */
public final class FocServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FocServer.class);

    private final Path dir;
    private final FocSecret secret;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final ChannelGroup connections = new DefaultChannelGroup("foc-connections", GlobalEventExecutor.INSTANCE);
    private final Map<String, VolumeStore> stores = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A server without a shared secret: {@code listen} must be a loopback address. */
    public FocServer(InetSocketAddress listen, Path dir) {
        this(listen, dir, null);
    }

    /**
     * Binds {@code listen} and serves the volumes under {@code dir} (created if absent) to clients
     * holding {@code secret}.
     *
     * @param secret the cluster's shared secret; null only for a loopback {@code listen} address
     * @throws FocException if there is no secret and {@code listen} is not loopback, or the address
     *         cannot be bound or the directory cannot be created
     */
    public FocServer(InetSocketAddress listen, Path dir, FocSecret secret) {
        this(listen, dir, secret, null);
    }

    /**
     * As above, with mutual TLS when {@code tls} is given: every connection must present a certificate the
     * cluster's CA signed (else the handshake fails and the connection closes before any FOC frame).
     *
     * @param tls the node's certificate, key and the cluster CA; null for none (then a secret is required
     *            unless {@code listen} is loopback)
     */
    public FocServer(InetSocketAddress listen, Path dir, FocSecret secret, io.scoria.accelerator.foc.FocTls tls) {
        if (listen == null) {
            throw new IllegalArgumentException("listen: must not be null");
        }
        if (dir == null) {
            throw new IllegalArgumentException("dir: must not be null");
        }
        if (secret == null && tls == null && (listen.getAddress() == null || !listen.getAddress().isLoopbackAddress())) {
            throw new FocException("FOC server: refusing to listen on " + listen + " without a shared secret or TLS:"
                    + " anyone who reaches it could read, add, drop or fence any volume's writes; give --secret-file"
                    + " or --tls-cert/--tls-key/--tls-ca (or listen on 127.0.0.1)");
        }
        this.secret = secret;
        try {
            this.dir = Files.createDirectories(dir).toRealPath();
        } catch (IOException e) {
            throw new FocException("FOC server directory " + dir + " cannot be created: " + e, e);
        }
        boolean epoll = Epoll.isAvailable();
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("foc-accept", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("foc-io", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            serverChannel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            if (tls != null) {
                                io.netty.handler.ssl.SslHandler ssl = tls.server().newHandler(ch.alloc());
                                ssl.handshakeFuture().addListener(f -> {
                                    if (!f.isSuccess()) {
                                        LOG.warn("FOC connection from {} refused: TLS handshake failed: {}",
                                                ch.remoteAddress(), f.cause().toString());
                                    }
                                });
                                ch.pipeline().addLast(ssl);
                            }
                            FrameGuard guard = new FrameGuard(false);
                            ch.pipeline().addLast(FocProtocol.frameDecoder(), guard,
                                    new ServerHandshake(guard, FocServer.this.secret), new FocServerHandler(FocServer.this));
                        }
                    })
                    .bind(listen).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new FocException("FOC server cannot listen on " + listen + ": " + e, e);
        }
        if (secret == null && tls == null) {
            LOG.warn("FOC server listening on {} without a shared secret: any local process can read, add, drop or"
                    + " fence volumes; give a secret file to authenticate", serverChannel.localAddress());
        }
        LOG.info("FOC server listening on {}, directory {}, {}", serverChannel.localAddress(), this.dir,
                (tls != null ? "mutual TLS (CA " + tls.ca() + ")" : "no TLS") + ", "
                        + (secret == null ? "no HMAC" : "HMAC-SHA256 authenticated"));
    }

    /** The bound address (useful with port 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public Path directory() {
        return dir;
    }

    /** Volumes this server keeps entries of (registered since it started, or recovered from its directory). */
    public int volumeCount() {
        return stores.size();
    }

    /** Open client connections. */
    public int connectionCount() {
        return connections.size();
    }

    VolumeStore store(String volumeId) {
        if (closed.get()) {
            throw new FocException("FOC server is closed");
        }
        return stores.computeIfAbsent(volumeId, id -> new VolumeStore(dir.resolve(id), id));
    }

    /** Stops listening, closes connections, finishes queued requests and closes files; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        stores.values().forEach(VolumeStore::close);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        LOG.info("FOC server on {} closed", serverChannel.localAddress());
    }

    /** Parses {@code HOST:PORT} (IPv6 as {@code [::1]:PORT}). */
    public static InetSocketAddress parseHostPort(String hostPort) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("listen: expected HOST:PORT, got '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("listen: port is not a number in '" + hostPort + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("listen: port must be 0..65535 in '" + hostPort + "'");
        }
        return new InetSocketAddress(host, port);
    }

    /**
     * Runs a server on {@code listenHostPort} and {@code dir} until the calling thread is
     * interrupted, then closes it. For {@code scoria foc-server}.
     */
    public static void run(String listenHostPort, Path dir) throws InterruptedException {
        run(listenHostPort, dir, null);
    }

    /** {@link #run(String, Path)} with the cluster's shared secret (null: none, loopback only). */
    public static void run(String listenHostPort, Path dir, FocSecret secret) throws InterruptedException {
        FocServer server = new FocServer(parseHostPort(listenHostPort), dir, secret);
        try {
            new CountDownLatch(1).await();
        } finally {
            server.close();
        }
    }

    /** {@code --listen HOST:PORT --dir DIR [--secret-file FILE]}; runs until the JVM is stopped. */
    public static void main(String[] args) throws InterruptedException {
        String listen = null;
        String d = null;
        FocSecret secret = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--listen") && i + 1 < args.length) {
                listen = args[++i];
            } else if (args[i].equals("--dir") && i + 1 < args.length) {
                d = args[++i];
            } else if (args[i].equals("--secret-file") && i + 1 < args.length) {
                secret = FocSecret.readFile(Path.of(args[++i]));
            } else {
                throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "'; usage: --listen HOST:PORT --dir DIR [--secret-file FILE]");
            }
        }
        if (listen == null || d == null) {
            throw new IllegalArgumentException("usage: --listen HOST:PORT --dir DIR [--secret-file FILE]");
        }
        FocSecret key = secret;
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            main.interrupt();
            try {
                main.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "foc-server-shutdown"));
        try {
            run(listen, Path.of(d), key);
        } catch (InterruptedException e) {
            LOG.info("FOC server stopped");
        } catch (UncheckedIOException e) {
            throw new FocException("FOC server failed: " + e.getMessage(), e);
        }
    }
}
