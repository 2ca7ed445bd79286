package io.scoria.accelerator.iscsi;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.scoria.accelerator.VolumeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An iSCSI target (RFC 7143) with one target per volume of a {@link VolumeService}, named
 * {@code <iqnPrefix>:<volume>}, each with LUN 0 (see {@link ScsiLun}). Event loops decode PDUs and
 * answer; volume I/O runs on a worker pool. Listening starts in the constructor; {@link #close()}
 * stops listening, closes connections and waits for the workers (idempotent). The service stays
 * owned by the caller. Thread-safe.
 */
public final class IscsiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiServer.class);

    private final EventLoopGroup bossGroup;
    private final EventLoopGroup ioGroup;
    private final ExecutorService workers;
    private final ChannelGroup channels = new DefaultChannelGroup("iscsi", GlobalEventExecutor.INSTANCE);
    private final Channel serverChannel;
    private final CommandMemory memory;
    private final AtomicInteger open = new AtomicInteger();
    private final int port;
    private boolean closed;

    public IscsiServer(IscsiServerConfig config, VolumeService volumes, MeterRegistry registry) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(volumes, "volumes");
        Objects.requireNonNull(registry, "registry");
        boolean epoll = Epoll.isAvailable();
        var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("iscsi-accept", true), factory);
        ioGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("iscsi-io", true), factory);
        workers = Executors.newFixedThreadPool(config.workerThreads(), new DefaultThreadFactory("iscsi-worker", true));
        memory = new CommandMemory(config.limits().memoryBudget());
        IscsiContext context = new IscsiContext(config, volumes, new Targets(config, volumes), workers, memory,
                new AtomicInteger());
        Gauge.builder("scoria.iscsi.command.data", memory, CommandMemory::used).baseUnit("bytes")
                .description("bytes of iSCSI command data held; bounded by iscsi.limits.memoryBudget").register(registry);
        Gauge.builder("scoria.iscsi.connections", open, AtomicInteger::get).register(registry);
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(IscsiLimits.OUTBOUND_LOW_WATER, IscsiLimits.OUTBOUND_HIGH_WATER))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.incrementAndGet() > config.limits().maxConnections()) {
                            open.decrementAndGet();
                            log.warn("iSCSI initiator {} refused: the node has {} connections, its maximum",
                                    ch.remoteAddress(), config.limits().maxConnections());
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        channels.add(ch);
                        PduDecoder decoder = new PduDecoder(SessionParams.LOGIN_DATA_SEGMENT);
                        ch.pipeline().addLast("iscsi-decoder", decoder);
                        ch.pipeline().addLast("iscsi-connection", new IscsiConnection(context, decoder));
                    }
                });
        try {
            serverChannel = b.bind(new InetSocketAddress(config.host(), config.port())).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the checked bind IOException unchecked
            shutdownGroups();
            workers.shutdownNow();
            throw new IllegalStateException("cannot listen for iSCSI on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage(), e);
        }
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        boolean open = config.defaultChap().required() || !config.targetChap().isEmpty();
        if (!((InetSocketAddress) serverChannel.localAddress()).getAddress().isLoopbackAddress() && !open) {
            log.warn("iSCSI is bound to {} beyond loopback without CHAP: any initiator that reaches it can use every "
                    + "volume; set iscsi.chap or bind to loopback", config.host());
        }
        log.info("iSCSI target listening on {}:{} ({}), targets {}:<volume>", config.host(), port,
                epoll ? "epoll" : "nio", config.iqnPrefix());
    }

    /** The bound TCP port (useful with port 0). */
    public int port() {
        return port;
    }

    /** Bytes of command data all connections hold now. */
    public long commandBytesHeld() {
        return memory.used();
    }

    /** Connections open now. */
    public int connections() {
        return open.get();
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
                log.warn("iSCSI workers still busy after 10 s; interrupting");
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
