package io.scoria.accelerator.frontend;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The threads and the listening socket of one block frontend (NBD, iSCSI): an accept loop, I/O
 * event loops (epoll when available), a fixed pool of workers that run volume I/O (never the event
 * loops), and the group of open connections. {@link #listen} binds; {@link #close()} stops
 * listening, closes every connection, waits up to 10 s for the workers and stops the loops
 * (idempotent). Thread-safe.
 */
public final class FrontendLoops implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FrontendLoops.class);

    private final String name;
    private final String protocol;
    private final boolean epoll = Epoll.isAvailable();
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup ioGroup;
    private final ExecutorService workers;
    private final ChannelGroup channels;
    private Channel serverChannel;
    private boolean closed;

    /**
     * @param name     names the threads ({@code <name>-io}, {@code <name>-worker})
     * @param protocol names the protocol in messages ({@code NBD}, {@code iSCSI})
     */
    public FrontendLoops(String name, String protocol, int workerThreads) {
        this.name = name;
        this.protocol = protocol;
        var factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-accept", true), factory);
        ioGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory(name + "-io", true), factory);
        workers = Executors.newFixedThreadPool(workerThreads, new DefaultThreadFactory(name + "-worker", true));
        channels = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
    }

    /** The pool that runs volume I/O. */
    public ExecutorService workers() {
        return workers;
    }

    /** True if the loops use epoll (else NIO). */
    public boolean epoll() {
        return epoll;
    }

    /** Keeps {@code ch} in the group that {@link #close()} closes. */
    public void track(Channel ch) {
        channels.add(ch);
    }

    /**
     * Listens on {@code host:port} with TCP_NODELAY and the given outbound water marks; returns the
     * bound address. On failure everything is closed and an {@link IllegalStateException} says why.
     */
    public synchronized InetSocketAddress listen(String host, int port, int lowWater, int highWater,
                                                 ChannelInitializer<SocketChannel> connections) {
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(lowWater, highWater))
                .childHandler(connections);
        try {
            serverChannel = b.bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the checked bind IOException unchecked
            close();
            throw new IllegalStateException("cannot listen for " + protocol + " on " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
        return (InetSocketAddress) serverChannel.localAddress();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("{} workers still busy after 10 s; interrupting", protocol);
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
