package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.backend.LogText;
import io.scoria.accelerator.VolumeOwnedElsewhereException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * Server side of the fixed newstyle handshake and option haggling of one connection. On
 * {@code NBD_OPT_GO} or {@code NBD_OPT_EXPORT_NAME} it replaces itself with an
 * {@link NbdTransmissionHandler}. A malformed handshake closes only this connection. Runs on
 * the connection's event loop; the volume lookup does no data I/O.
 */
final class NbdNegotiationHandler extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(NbdNegotiationHandler.class);

    private enum State { CLIENT_FLAGS, OPTION_HEADER, OPTION_DATA, SKIP, DONE }

    private final NbdContext context;
    private State state = State.CLIENT_FLAGS;
    private boolean noZeroes;
    private boolean structuredReplies;
    private boolean tlsActive;
    private boolean discardBuffered;
    /** The export the last SET_META_CONTEXT selected contexts for (null if none), and what it selected. */
    private String selectedExport;
    private MetaContexts selected = MetaContexts.NONE;
    private int option;
    private int optionLength;
    private long skipRemaining;
    /** A volume lookup runs on a worker; decoding waits for it (options are answered in order). */
    private boolean pending;

    NbdNegotiationHandler(NbdContext context) {
        this.context = context;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ByteBuf hello = ctx.alloc().buffer(18);
        hello.writeLong(NBDMAGIC).writeLong(IHAVEOPT).writeShort(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        ctx.writeAndFlush(hello);
        long timeout = context.config().negotiationTimeout().toMillis();
        ctx.executor().schedule(() -> {
            if (state != State.DONE && ctx.channel().isActive()) {
                fail(ctx, "negotiation not finished within " + timeout + " ms");
            }
        }, timeout, java.util.concurrent.TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!pending && state != State.DONE && ctx.channel().isActive()) {
            switch (state) {
                case CLIENT_FLAGS -> {
                    if (in.readableBytes() < 4) {
                        return;
                    }
                    int flags = in.readInt();
                    if ((flags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
                        fail(ctx, "unknown client flags 0x" + Integer.toHexString(flags));
                        return;
                    }
                    noZeroes = (flags & FLAG_C_NO_ZEROES) != 0;
                    state = State.OPTION_HEADER;
                }
                case OPTION_HEADER -> {
                    if (in.readableBytes() < 16) {
                        return;
                    }
                    long magic = in.readLong();
                    option = in.readInt();
                    long length = in.readUnsignedInt();
                    if (magic != IHAVEOPT) {
                        fail(ctx, "bad option magic 0x" + Long.toHexString(magic));
                        return;
                    }
                    if (length > MAX_OPTION_LENGTH) {
                        if (option == OPT_EXPORT_NAME) {
                            fail(ctx, "export name of " + length + " bytes");
                            return;
                        }
                        skipRemaining = length;
                        state = State.SKIP;
                    } else {
                        optionLength = (int) length;
                        state = State.OPTION_DATA;
                    }
                }
                case SKIP -> {
                    int n = (int) Math.min(skipRemaining, in.readableBytes());
                    in.skipBytes(n);
                    skipRemaining -= n;
                    if (skipRemaining > 0) {
                        return;
                    }
                    context.metrics().protocolError();
                    reply(ctx, option, REP_ERR_TOO_BIG, "option payload too large");
                    state = State.OPTION_HEADER;
                }
                case OPTION_DATA -> {
                    if (in.readableBytes() < optionLength) {
                        return;
                    }
                    ByteBuf data = in.readSlice(optionLength);
                    state = State.OPTION_HEADER;
                    handleOption(ctx, option, data);
                    if (discardBuffered) {
                        discardBuffered = false;
                        if (in.isReadable()) {
                            log.warn("NBD client {} sent {} clear-text bytes after STARTTLS; discarded",
                                    ctx.channel().remoteAddress(), in.readableBytes());
                            in.skipBytes(in.readableBytes());
                        }
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    private void handleOption(ChannelHandlerContext ctx, int opt, ByteBuf data) {
        boolean tlsPossible = context.sslContext() != null;
        switch (opt) {
            case OPT_STARTTLS -> {
                if (!tlsPossible) {
                    reply(ctx, opt, REP_ERR_POLICY, "TLS is not configured on this server");
                } else if (tlsActive || data.isReadable()) {
                    reply(ctx, opt, REP_ERR_INVALID, tlsActive ? "TLS already active" : "STARTTLS takes no data");
                } else {
                    tlsActive = true;
                    structuredReplies = false; // the spec makes the client negotiate these again under TLS
                    selectedExport = null;
                    selected = MetaContexts.NONE;
                    discardBuffered = true; // bytes sent in clear text after STARTTLS are an injection
                    // startTls=true: the ACK below leaves in clear text, everything after is TLS.
                    ctx.pipeline().addFirst("tls", new SslHandler(context.sslContext().newEngine(ctx.alloc()), true));
                    reply(ctx, opt, REP_ACK, null);
                }
            }
            case OPT_STRUCTURED_REPLY -> {
                if (data.isReadable() || structuredReplies) {
                    reply(ctx, opt, REP_ERR_INVALID, "structured replies: no data, once");
                } else {
                    structuredReplies = true;
                    reply(ctx, opt, REP_ACK, null);
                }
            }
            case OPT_LIST -> {
                if (data.isReadable()) {
                    reply(ctx, opt, REP_ERR_INVALID, "LIST takes no data");
                    return;
                }
                offload(ctx, () -> context.volumes().list(), (infos, error) -> {
                    if (error != null) {
                        reply(ctx, opt, REP_ERR_UNKNOWN, "cannot list volumes; see the server log");
                        return;
                    }
                    for (var info : infos) {
                        // only exports this client may use now (not one being created or deleted)
                        if (refusal(ctx, info.name()) == null && unavailable(info.name()).isEmpty()) {
                            byte[] name = info.name().getBytes(StandardCharsets.UTF_8);
                            ByteBuf b = replyHeader(ctx, opt, REP_SERVER, 4 + name.length);
                            b.writeInt(name.length).writeBytes(name);
                            ctx.write(b);
                        }
                    }
                    reply(ctx, opt, REP_ACK, null);
                });
            }
            case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(ctx, opt, data);
            case OPT_INFO, OPT_GO -> infoOrGo(ctx, opt, data);
            case OPT_EXPORT_NAME -> exportName(ctx, data);
            case OPT_ABORT -> {
                reply(ctx, opt, REP_ACK, null).addListener(ChannelFutureListener.CLOSE);
                state = State.DONE;
            }
            default -> {
                if (context.config().defaultPolicy().tlsRequired() && !tlsActive) {
                    reply(ctx, opt, REP_ERR_TLS_REQD, "TLS required");
                } else {
                    reply(ctx, opt, REP_ERR_UNSUP, "option " + opt + " is not supported");
                }
            }
        }
    }

    /**
     * LIST_META_CONTEXT and SET_META_CONTEXT (proto.md "Metadata querying"): both need structured
     * replies; SET replaces the selection even when it fails. Only whether the export's volume exists and,
     * for a snapshot export, which snapshots are older (its dirty bitmaps) is looked up (a snapshot view is
     * built only by GO).
     */
    private void metaContext(ChannelHandlerContext ctx, int opt, ByteBuf data) {
        boolean set = opt == OPT_SET_META_CONTEXT;
        if (set) {
            selectedExport = null;
            selected = MetaContexts.NONE;
        }
        if (!structuredReplies) {
            reply(ctx, opt, REP_ERR_INVALID, "negotiate structured replies before meta contexts");
            return;
        }
        MetaContextQuery query;
        try {
            query = MetaContextQuery.parse(data);
        } catch (MetaContextQuery.BadQueryException e) {
            reply(ctx, opt, e.tooBig ? REP_ERR_TOO_BIG : REP_ERR_INVALID, e.getMessage());
            return;
        }
        String name = query.export();
        if (!admit(ctx, opt, name)) {
            return;
        }
        offload(ctx, () -> DirtyRuns.bitmaps(context.volumes(), ExportName.parse(name)), (bitmaps, error) -> {
            if (error != null || bitmaps == null) {
                reply(ctx, opt, REP_ERR_UNKNOWN, error != null ? "cannot look up export " + name + "; see the server log"
                        : "no export named " + name);
                return;
            }
            MetaContexts chosen = query.selected(bitmaps);
            (set ? chosen.named() : query.listedWithoutIds(bitmaps)).forEach((c, id) -> {
                byte[] n = c.getBytes(StandardCharsets.UTF_8);
                ctx.write(replyHeader(ctx, opt, REP_META_CONTEXT, 4 + n.length).writeInt(id).writeBytes(n));
            });
            if (set && chosen.count() > 0) {
                selectedExport = name;
                selected = chosen;
            }
            reply(ctx, opt, REP_ACK, null);
        });
    }

    private void infoOrGo(ChannelHandlerContext ctx, int opt, ByteBuf data) {
        if (data.readableBytes() < 6) {
            reply(ctx, opt, REP_ERR_INVALID, "INFO/GO payload shorter than 6 bytes");
            return;
        }
        long nameLength = data.readUnsignedInt();
        if (nameLength > data.readableBytes() - 2) {
            reply(ctx, opt, REP_ERR_INVALID, "export name length " + nameLength + " exceeds the option");
            return;
        }
        String name = MetaContextQuery.utf8(data.readSlice((int) nameLength));
        int requests = data.readUnsignedShort();
        if (data.readableBytes() != requests * 2 || name == null) {
            reply(ctx, opt, REP_ERR_INVALID, "malformed INFO/GO payload");
            return;
        }
        boolean wantName = false;
        for (int i = 0; i < requests; i++) {
            int type = data.readUnsignedShort();
            wantName |= type == INFO_NAME;
        }
        final boolean includeName = wantName;
        if (!admit(ctx, opt, name)) {
            return; // refused before the volume is looked up or opened
        }
        offload(ctx, () -> ExportName.lookupOrNull(context, name), (volume, error) -> {
            if (!found(ctx, opt, name, volume, error)) {
                return;
            }
            if (opt == OPT_GO && !attach(ctx, name)) {
                ExportName.release(context, name, volume);
                reply(ctx, opt, REP_ERR_POLICY, "export " + name + " has " + context.config().limits()
                        .maxConnectionsPerExport() + " connections, its maximum");
                return;
            }
            ExportAccess access = ExportAccess.of(context, ctx, tlsActive, name);
            if (access.refusal() != null) { // detached meanwhile
                ExportName.release(context, name, volume);
                reply(ctx, opt, REP_ERR_POLICY, "this client may not use export " + name);
                return;
            }
            if (includeName) {
                byte[] n = name.getBytes(StandardCharsets.UTF_8);
                ByteBuf b = replyHeader(ctx, opt, REP_INFO, 2 + n.length);
                b.writeShort(INFO_NAME).writeBytes(n);
                ctx.write(b);
            }
            ByteBuf export = replyHeader(ctx, opt, REP_INFO, 12);
            export.writeShort(INFO_EXPORT).writeLong(volume.size())
                    .writeShort(NbdProtocol.transmissionFlags(volume.isReadOnly() || access.readOnly()));
            ctx.write(export);
            ByteBuf bs = replyHeader(ctx, opt, REP_INFO, 14);
            bs.writeShort(INFO_BLOCK_SIZE).writeInt(1).writeInt(4096).writeInt(context.config().maxPayload());
            ctx.write(bs);
            reply(ctx, opt, REP_ACK, null);
            if (opt == OPT_GO) {
                enterTransmission(ctx, volume, access.readOnly(), name);
            } else {
                ExportName.release(context, name, volume);
            }
        });
    }

    private void exportName(ChannelHandlerContext ctx, ByteBuf data) {
        String name = MetaContextQuery.utf8(data);
        if (name == null) {
            fail(ctx, "export name is not UTF-8");
            return;
        }
        ExportPolicy.Refusal refusal = refusal(ctx, name);
        if (refusal != null) {
            fail(ctx, "EXPORT_NAME " + name + " refused: " + refusal); // before any lookup
            return;
        }
        java.util.Optional<String> unavailable = unavailable(name);
        if (unavailable.isPresent()) {
            fail(ctx, "EXPORT_NAME " + name + " refused: " + unavailable.get());
            return;
        }
        offload(ctx, () -> ExportName.lookupOrNull(context, name), (volume, error) -> {
            ExportAccess access = ExportAccess.of(context, ctx, tlsActive, name);
            if (volume == null || access.refusal() != null || !attach(ctx, name)) {
                ExportName.release(context, name, volume);
                fail(ctx, "EXPORT_NAME " + name + " refused (" + (error != null ? error
                        : volume == null ? "unknown" : access.refusal() != null ? "detached" : "too many connections") + ")");
                return;
            }
            ByteBuf b = ctx.alloc().buffer(134);
            b.writeLong(volume.size()).writeShort(NbdProtocol.transmissionFlags(volume.isReadOnly() || access.readOnly()));
            if (!noZeroes) {
                b.writeZero(124);
            }
            ctx.writeAndFlush(b);
            enterTransmission(ctx, volume, access.readOnly(), name);
        });
    }

    /**
     * Runs {@code work} (which may open a volume: file and backend I/O) on a worker, then
     * {@code then} on this connection's event loop, and resumes decoding buffered options. {@code then}
     * gets the error as the client may see it: the owner's address when a cluster node does not own the
     * volume, else a pointer to the server log.
     */
    private <T> void offload(ChannelHandlerContext ctx, java.util.function.Supplier<T> work,
                             java.util.function.BiConsumer<T, String> then) {
        pending = true;
        try {
            context.workers().execute(() -> {
                T result = null;
                String error = null;
                try {
                    result = work.get();
                } catch (VolumeOwnedElsewhereException e) {
                    // a cluster node: the client learns the owner's address and connects there
                    log.info("NBD client {}: {}", ctx.channel().remoteAddress(), e.getMessage());
                    error = e.getMessage();
                } catch (RuntimeException e) {
                    log.warn("NBD negotiation lookup failed", e);
                    error = "see the server log";
                }
                final T r = result;
                final String err = error;
                ctx.executor().execute(() -> {
                    pending = false;
                    if (!ctx.channel().isActive()) {
                        return;
                    }
                    then.accept(r, err);
                    if (state != State.DONE && !ctx.isRemoved()) {
                        try {
                            channelRead(ctx, io.netty.buffer.Unpooled.EMPTY_BUFFER); // decode what arrived meanwhile
                        } catch (Exception e) {
                            ctx.fireExceptionCaught(e);
                        }
                    }
                });
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pending = false;
            fail(ctx, "server is shutting down");
        }
    }

    /**
     * Replies with the right error and returns false unless this client may use export {@code name}:
     * decided from the configuration, the volume's attachments, the client's address, TLS and certificate, so a refused
     * client learns nothing about which volumes exist and opens none.
     */
    private boolean admit(ChannelHandlerContext ctx, int opt, String name) {
        ExportPolicy.Refusal refusal = refusal(ctx, name);
        if (refusal == null) {
            java.util.Optional<String> unavailable = unavailable(name);
            unavailable.ifPresent(why -> reply(ctx, opt, REP_ERR_UNKNOWN, why));
            return unavailable.isEmpty();
        }
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        log.warn("NBD client {} refused export {}: {}", remote, LogText.quote(name), refusal);
        if (refusal == ExportPolicy.Refusal.TLS_REQUIRED) {
            reply(ctx, opt, REP_ERR_TLS_REQD, "export " + name + " requires TLS");
        } else {
            reply(ctx, opt, REP_ERR_POLICY, "this client may not use export " + name);
        }
        return false;
    }

    /** Why export {@code name}'s volume is served to nobody now (being created or deleted), or empty. */
    private java.util.Optional<String> unavailable(String name) {
        return context.attachments().unavailable(ExportName.parse(name).volume());
    }

    private ExportPolicy.Refusal refusal(ChannelHandlerContext ctx, String name) {
        return ExportAccess.of(context, ctx, tlsActive, name).refusal();
    }

    /** Replies with an error and returns false unless the lookup found the volume. */
    private boolean found(ChannelHandlerContext ctx, int opt, String name, Volume volume, String error) {
        if (error != null) {
            reply(ctx, opt, REP_ERR_UNKNOWN, "cannot open export " + name + ": " + error);
            return false;
        }
        if (volume == null) {
            reply(ctx, opt, REP_ERR_UNKNOWN, "no export named " + name);
            return false;
        }
        return true;
    }

    /** Counts this connection against the export's cap until it closes; false if the export is full. */
    private boolean attach(ChannelHandlerContext ctx, String name) {
        if (!context.connections().tryAttach(name)) {
            log.warn("NBD client {} refused export {}: {} connections, the maximum", ctx.channel().remoteAddress(),
                    LogText.quote(name),
                    context.config().limits().maxConnectionsPerExport());
            return false;
        }
        ctx.channel().closeFuture().addListener(f -> context.connections().detached(name));
        return true;
    }

    private void enterTransmission(ChannelHandlerContext ctx, Volume volume, boolean accessReadOnly, String name) {
        state = State.DONE;
        boolean readOnly = volume.isReadOnly() || accessReadOnly;
        ExportAccess.track(context, ctx, tlsActive, name, readOnly);
        // BLOCK_STATUS only for the export the last SET_META_CONTEXT named (proto.md)
        MetaContexts contexts = name.equals(selectedExport) ? selected : MetaContexts.NONE;
        log.debug("NBD client {} attached to {} (readOnly={}, structured={}, contexts={})",
                ctx.channel().remoteAddress(), volume.name(), readOnly, structuredReplies, contexts);
        ctx.channel().closeFuture().addListener(f -> ExportName.release(context, name, volume));
        ctx.pipeline().replace(this, "nbd-transmission",
                new NbdTransmissionHandler(context, volume, readOnly, structuredReplies, contexts));
    }

    private ByteBuf replyHeader(ChannelHandlerContext ctx, int opt, int type, int length) {
        ByteBuf b = ctx.alloc().buffer(20 + length);
        b.writeLong(OPTION_REPLY_MAGIC).writeInt(opt).writeInt(type).writeInt(length);
        return b;
    }

    private io.netty.channel.ChannelFuture reply(ChannelHandlerContext ctx, int opt, int type, String message) {
        byte[] m = message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
        if (type < 0) {
            context.metrics().protocolError();
        }
        ByteBuf b = replyHeader(ctx, opt, type, m.length);
        b.writeBytes(m);
        return ctx.writeAndFlush(b);
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        context.metrics().protocolError();
        log.info("NBD negotiation with {} failed: {}; closing the connection", ctx.channel().remoteAddress(), why);
        state = State.DONE;
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.info("NBD connection {} failed during negotiation: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
