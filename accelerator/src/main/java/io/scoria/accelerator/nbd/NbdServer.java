package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.frontend.Attachments;
import io.scoria.accelerator.frontend.FrontendLoops;
import io.scoria.accelerator.frontend.MemoryBudget;
import io.scoria.accelerator.frontend.QosGates;
import io.scoria.accelerator.metrics.NbdMetrics;
import io.scoria.accelerator.metrics.VolumeMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * An NBD server (fixed newstyle, NetworkBlockDevice/nbd {@code doc/proto.md}) exporting every
 * volume of a {@link VolumeService} under its name. Listening starts in the constructor;
 * {@link #close()} stops listening, closes connections and waits for the I/O workers
 * (idempotent). The service stays owned by the caller. Thread-safe.
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);

    private final FrontendLoops loops;
    private final int port;
    private final MemoryBudget memory;
    private final ConnectionCounts connections;

    /** A server whose per-volume meters know no engine counters (labels and I/O meters only). */
    public NbdServer(NbdServerConfig config, VolumeService volumes, MeterRegistry registry) {
        this(config, volumes, registry, QosGates.NONE);
    }

    /** As above, holding every volume to the caps of its gate in {@code qos}. */
    public NbdServer(NbdServerConfig config, VolumeService volumes, MeterRegistry registry, QosGates qos) {
        this(config, volumes, registry, new VolumeMetrics(registry, VolumeMetrics.DEFAULT_LIMIT, v -> Optional.empty()),
                qos);
    }

    /** A server recording each attached volume's requests into {@code volumeMetrics}, without QoS caps. */
    public NbdServer(NbdServerConfig config, VolumeService volumes, MeterRegistry registry, VolumeMetrics volumeMetrics) {
        this(config, volumes, registry, volumeMetrics, QosGates.NONE);
    }

    /** A server recording each volume's requests into {@code volumeMetrics} and holding it to its {@code qos} caps. */
    public NbdServer(NbdServerConfig config, VolumeService volumes, MeterRegistry registry, VolumeMetrics volumeMetrics,
                     QosGates qos) {
        this(config, volumes, registry, volumeMetrics, qos, Attachments.NONE);
    }

    /**
     * As above, serving a volume attached to hosts only to those hosts ({@code attachments}; a volume
     * without attachments follows its static export policy).
     */
    public NbdServer(NbdServerConfig config, VolumeService volumes, MeterRegistry registry, VolumeMetrics volumeMetrics,
                     QosGates qos, Attachments attachments) {
        Objects.requireNonNull(attachments, "attachments");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(volumeMetrics, "volumeMetrics");
        Objects.requireNonNull(qos, "qos");
        Objects.requireNonNull(volumes, "volumes");
        Objects.requireNonNull(registry, "registry");
        SslContext ssl = config.tlsConfigured() ? sslContext(config) : null;
        loops = new FrontendLoops("nbd", "NBD", config.workerThreads());
        NbdMetrics metrics = new NbdMetrics(registry);
        memory = new MemoryBudget(config.limits().memoryBudget());
        connections = new ConnectionCounts(config.limits());
        NbdContext context = new NbdContext(config, volumes, ssl, loops.workers(), metrics, volumeMetrics, memory,
                connections, qos, attachments);
        Gauge.builder("scoria.nbd.request.data", memory, MemoryBudget::used).baseUnit("bytes")
                .description("bytes of NBD request data held (payloads, read replies not yet sent); bounded by "
                        + "nbd.limits.memoryBudget").register(registry);
        InetSocketAddress address = loops.listen(config.host(), config.port(), NbdLimits.OUTBOUND_LOW_WATER,
                NbdLimits.OUTBOUND_HIGH_WATER, new ChannelInitializer<SocketChannel>() {
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
                        loops.track(ch);
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
        port = address.getPort();
        InetAddress bound = address.getAddress();
        if (!bound.isLoopbackAddress() && !config.defaultPolicy().tlsRequired()
                && config.defaultPolicy().allowedClients().isEmpty()) {
            log.warn("NBD is bound to {} beyond loopback and exports without their own policy take any client in "
                    + "clear text: set nbd.defaultExport (allowedClients, tlsRequired) or bind to loopback",
                    config.host());
        }
        log.info("NBD server listening on {}:{} ({}, TLS {})", config.host(), port, loops.epoll() ? "epoll" : "nio",
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
    public void close() {
        loops.close();
    }
}
