package io.scoria.accelerator.iscsi;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.frontend.FrontendLoops;
import io.scoria.accelerator.frontend.MemoryBudget;
import io.scoria.accelerator.frontend.Attachments;
import io.scoria.accelerator.frontend.QosGates;
import io.scoria.accelerator.metrics.VolumeMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
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

    private final FrontendLoops loops;
    private final MemoryBudget memory;
    private final AtomicInteger open = new AtomicInteger();
    private final int port;

    public IscsiServer(IscsiServerConfig config, VolumeService volumes, MeterRegistry registry) {
        this(config, volumes, registry, QosGates.NONE);
    }

    /** As above, holding every volume to the caps of its gate in {@code qos}. */
    public IscsiServer(IscsiServerConfig config, VolumeService volumes, MeterRegistry registry, QosGates qos) {
        this(config, volumes, registry, qos, Attachments.NONE);
    }

    /**
     * As above, serving a volume attached to hosts only to their initiators ({@code attachments}; a
     * volume without attachments admits what the target's CHAP settings admit).
     */
    public IscsiServer(IscsiServerConfig config, VolumeService volumes, MeterRegistry registry, QosGates qos,
                       Attachments attachments) {
        this(config, volumes, registry, new VolumeMetrics(registry, VolumeMetrics.DEFAULT_LIMIT, v -> Optional.empty()),
                qos, attachments);
    }

    /**
     * As above, recording each volume's SCSI block commands (reads, writes, SYNCHRONIZE CACHE as
     * flush, UNMAP as trim) into {@code volumeMetrics}, the meters NBD records into too.
     */
    public IscsiServer(IscsiServerConfig config, VolumeService volumes, MeterRegistry registry,
                       VolumeMetrics volumeMetrics, QosGates qos, Attachments attachments) {
        Objects.requireNonNull(volumeMetrics, "volumeMetrics");
        Objects.requireNonNull(attachments, "attachments");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(qos, "qos");
        Objects.requireNonNull(volumes, "volumes");
        Objects.requireNonNull(registry, "registry");
        loops = new FrontendLoops("iscsi", "iSCSI", config.workerThreads());
        memory = new MemoryBudget(config.limits().memoryBudget());
        IscsiContext context = new IscsiContext(config, volumes, new Targets(config, volumes), loops.workers(), memory,
                new AtomicInteger(), qos, attachments, volumeMetrics);
        Gauge.builder("scoria.iscsi.command.data", memory, MemoryBudget::used).baseUnit("bytes")
                .description("bytes of iSCSI command data held; bounded by iscsi.limits.memoryBudget").register(registry);
        Gauge.builder("scoria.iscsi.connections", open, AtomicInteger::get).register(registry);
        InetSocketAddress address = loops.listen(config.host(), config.port(), IscsiLimits.OUTBOUND_LOW_WATER,
                IscsiLimits.OUTBOUND_HIGH_WATER, new ChannelInitializer<SocketChannel>() {
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
                        loops.track(ch);
                        PduDecoder decoder = new PduDecoder(SessionParams.LOGIN_DATA_SEGMENT);
                        ch.pipeline().addLast("iscsi-decoder", decoder);
                        ch.pipeline().addLast("iscsi-connection", new IscsiConnection(context, decoder));
                    }
                });
        port = address.getPort();
        boolean chap = config.defaultChap().required() || !config.targetChap().isEmpty();
        if (!address.getAddress().isLoopbackAddress() && !chap) {
            log.warn("iSCSI is bound to {} beyond loopback without CHAP: any initiator that reaches it can use every "
                    + "volume; set iscsi.chap or bind to loopback", config.host());
        }
        log.info("iSCSI target listening on {}:{} ({}), targets {}:<volume>", config.host(), port,
                loops.epoll() ? "epoll" : "nio", config.iqnPrefix());
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
    public void close() {
        loops.close();
    }
}
