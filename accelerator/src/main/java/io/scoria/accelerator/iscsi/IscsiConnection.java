package io.scoria.accelerator.iscsi;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.scoria.accelerator.frontend.Client;
import io.scoria.accelerator.frontend.QosGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One iSCSI connection behind its {@link PduDecoder}: the {@link LoginPhase}, then the
 * {@link FullFeaturePhase}. PDUs that cannot be handled yet (a command waiting for budget, or the
 * initiator not reading its responses) wait in a queue while the socket is not read; the queue
 * holds at most what the decoder had already cut from one read. A protocol violation
 * ({@link PduException}) closes the connection; nothing else of the node is affected.
 *
 * <p>Threads: the connection's event loop.
 */
final class IscsiConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(IscsiConnection.class);

    private final IscsiContext context;
    private final PduDecoder decoder;
    private final ArrayDeque<Pdu> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private PduWriter writer;
    private ConnectionFlow flow;
    private LoginPhase login;
    private FullFeaturePhase session;
    private IscsiWatchdog watchdog;

    IscsiConnection(IscsiContext context, PduDecoder decoder) {
        this.context = context;
        this.decoder = decoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        writer = new PduWriter(ctx.channel());
        flow = new ConnectionFlow(ctx.channel(), context.config().limits().maxInFlightBytes(), context.memory(),
                this::resume);
        login = new LoginPhase(context, ctx.channel(), writer, this::loggedIn, this::resume);
        watchdog = new IscsiWatchdog(ctx, context.config().limits(), () -> session != null,
                () -> session != null && session.awaitingData(), () -> session == null || session.ping(),
                () -> session != null && session.pingOutstanding());
        watchdog.start();
    }

    private void loggedIn(LoginPhase.Result r) {
        SessionParams p = r.params();
        decoder.negotiated(p.recvDataSegment(), p.headerDigest(), p.dataDigest());
        writer.digests(p.headerDigest(), p.dataDigest());
        Client client = Client.iscsi(((InetSocketAddress) ctx.channel().remoteAddress()).getAddress(), r.initiator());
        // attached elsewhere, or being created or deleted (a login would be refused): not listed
        SendTargets targets = new SendTargets(r.discovery() ? () -> context.targets().names(
                v -> !context.attachments().admit(v, client).refused() && context.attachments().unavailable(v).isEmpty())
                : () -> java.util.List.of(
                r.target()), r.discovery(), context.workers(), ctx.channel().eventLoop());
        FullFeaturePhase[] self = new FullFeaturePhase[1];
        CommandPipeline pipeline = r.discovery() ? null : new CommandPipeline(ctx.channel(), writer, r.sequencer(),
                flow, context.workers(), r.lun(), p, context.config().limits().maxTransferBytes(), r.nexus(),
                context.volumeMetrics().meters(r.lun().volume().name()), t -> self[0].taskFinished(t));
        QosGate qos = r.discovery() ? null : context.qos().gate(r.lun().volume().name());
        if (!r.discovery()) {
            InitiatorAccess.track(context, ctx.channel(), r.lun().volume().name(), r.initiator(), r.lun().volume().isReadOnly());
            ScsiLun lun = r.lun();
            String nexus = r.nexus();
            ctx.channel().closeFuture().addListener(f -> lun.nexusLost(nexus)); // logout or dropped connection
            context.targets().connected(lun.volume().name(), ctx.channel());
        }
        String volume = r.discovery() ? null : r.lun().volume().name();
        Runnable coldReset = volume == null ? () -> { } : () -> context.targets().closeAll(volume, ctx.channel());
        session = new FullFeaturePhase(ctx.channel(), writer, r.sequencer(), pipeline, targets, r.discovery(), p, flow,
                qos, this::resume, coldReset);
        self[0] = session;
        login = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Pdu pdu = (Pdu) msg;
        watchdog.inbound();
        if (!waiting.isEmpty() || flow.paused()) {
            waiting.add(pdu);
            return;
        }
        if (!ctx.channel().isWritable()) {
            waiting.add(pdu);
            flow.pause();
            return;
        }
        handle(pdu);
    }

    /** Handles a PDU; false if it has to wait (then it is kept at the head of the queue). */
    private boolean handle(Pdu pdu) {
        if (login != null) {
            if (login.busy()) {
                waiting.addFirst(pdu);
                return false;
            }
            login.handle(pdu);
            return true;
        }
        if (session == null) {
            pdu.release();
            return true;
        }
        if (!session.handle(pdu)) {
            waiting.addFirst(pdu);
            return false;
        }
        return true;
    }

    /** On the event loop after budget came back or the socket drained: go on with what waited. */
    private void resume() {
        if (ctx.isRemoved() || !ctx.channel().isActive()) {
            return;
        }
        try {
            while (!waiting.isEmpty()) {
                if (!ctx.channel().isWritable()) {
                    flow.pause();
                    return;
                }
                if (!handle(waiting.poll())) {
                    return;
                }
            }
            flow.resumed();
        } catch (RuntimeException e) {
            exceptionCaught(ctx, e);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        watchdog.writabilityChanged(ctx.channel().isWritable());
        if (ctx.channel().isWritable()) {
            flow.wake();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        watchdog.stop();
        for (Pdu p; (p = waiting.poll()) != null; ) {
            p.release();
        }
        if (session != null) {
            session.closed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                ? cause.getCause() : cause;
        if (c instanceof PduException) {
            log.info("iSCSI connection {} closed: {}", ctx.channel().remoteAddress(), c.getMessage());
        } else if (c instanceof java.io.IOException) {
            log.debug("iSCSI connection {} lost: {}", ctx.channel().remoteAddress(), c.toString());
        } else {
            log.warn("iSCSI connection {} failed", ctx.channel().remoteAddress(), c);
        }
        ctx.close();
    }
}
