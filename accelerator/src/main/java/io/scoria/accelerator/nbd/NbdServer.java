package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.ClientAuth;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.metrics.NbdMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An NBD server (fixed newstyle, NetworkBlockDevice/nbd {@code doc/proto.md}) exporting every
 * volume of a {@link VolumeService} under its name. Listening starts in the constructor;
 * {@link #close()} stops listening, closes connections and waits for the I/O workers
 * (idempotent). The service stays owned by the caller. Thread-safe.
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);

    private final EventLoopGroup bossGroup;
    private final EventLoopGroup ioGroup;
    private final ExecutorService workers;
    private final ChannelGroup channels = new DefaultChannelGroup("nbd", GlobalEventExecutor.INSTANCE);
    private final Channel serverChannel;
    private final int port;
    private final MemoryBudget memory;
    private final ConnectionCounts connections;
    private boolean closed;

    public NbdServer(NbdServerConfig config, VolumeService volumes, MeterRegistry registry) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(volumes, "volumes");
        Objects.requireNonNull(registry, "registry");
        SslContext ssl = config.tlsConfigured() ? sslContext(config) : null;
        boolean epoll = Epoll.isAvailable();
        var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("nbd-accept", true), factory);
        ioGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("nbd-io", true), factory);
        workers = Executors.newFixedThreadPool(config.workerThreads(), new DefaultThreadFactory("nbd-worker", true));
        NbdMetrics metrics = new NbdMetrics(registry);
        memory = new MemoryBudget(config.limits().memoryBudget());
        connections = new ConnectionCounts(config.limits());
        NbdContext context = new NbdContext(config, volumes, ssl, workers, metrics, memory, connections);
        Gauge.builder("scoria.nbd.request.data", memory, MemoryBudget::used).baseUnit("bytes")
                .description("bytes of NBD request data held (payloads, read replies not yet sent); bounded by "
                        + "nbd.limits.memoryBudget").register(registry);
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(NbdLimits.OUTBOUND_LOW_WATER, NbdLimits.OUTBOUND_HIGH_WATER))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!connections.tryOpen()) {
                            metrics.protocolError();
                            log.warn("NBD client {} refused: the node has {} connections, its maximum",
                                    ch.remoteAddress(), config.limits().maxConnections());
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> connections.closed());
                        channels.add(ch);
                        metrics.connectionOpened();
                        ch.closeFuture().addListener(f -> metrics.connectionClosed());
                        ch.pipeline().addLast("nbd-negotiation", new NbdNegotiationHandler(context));
                        ch.pipeline().addLast("nbd-tail", new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                log.info("NBD connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
                                ctx.close();
                            }
                        });
                    }
                });
        try {
            serverChannel = b.bind(new InetSocketAddress(config.host(), config.port())).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the checked bind IOException unchecked
            shutdownGroups();
            workers.shutdownNow();
            throw new IllegalStateException("cannot listen for NBD on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage(), e);
        }
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        InetAddress bound = ((InetSocketAddress) serverChannel.localAddress()).getAddress();
        if (!bound.isLoopbackAddress() && !config.defaultPolicy().tlsRequired()
                && config.defaultPolicy().allowedClients().isEmpty()) {
            log.warn("NBD is bound to {} beyond loopback and exports without their own policy take any client in "
                    + "clear text: set nbd.defaultExport (allowedClients, tlsRequired) or bind to loopback",
                    config.host());
        }
        log.info("NBD server listening on {}:{} ({}, TLS {})", config.host(), port, epoll ? "epoll" : "nio",
                ssl != null ? "available" : "off");
    }

    private static SslContext sslContext(NbdServerConfig config) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(config.tlsCertificate().toFile(), config.tlsKey().toFile());
            if (config.tlsClientCa() != null) {
                // OPTIONAL: exports without allowedIdentities take clients without a certificate; a
                // certificate that is presented must verify against the CA bundle.
                b.trustManager(config.tlsClientCa().toFile()).clientAuth(ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load tlsCertificate " + config.tlsCertificate() + " / tlsKey "
                    + config.tlsKey() + (config.tlsClientCa() != null ? " / tlsClientCa " + config.tlsClientCa() : "")
                    + ": " + e.getMessage(), e);
        }
    }

    /** Bytes of request data all connections hold now (see {@link NbdLimits}). */
    public long requestBytesHeld() {
        return memory.used();
    }

    /** Connections open now. */
    public int connections() {
        return connections.node();
    }

    /** The bound TCP port (useful with port 0). */
    public int port() {
        return port;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        serverChannel.close().syncUninterruptibly();
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("NBD workers still busy after 10 s; interrupting");
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shutdownGroups();
    }

    private void shutdownGroups() {
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
