package io.scoria.accelerator.nbd;

import io.netty.channel.ChannelHandlerContext;
import io.scoria.accelerator.frontend.Admission;
import io.scoria.accelerator.frontend.Client;

import java.net.InetSocketAddress;

/**
 * What one NBD client may do with one export: a volume attached to hosts is served only to those
 * hosts (by pinned certificate, certificate identity or address), read-only if its attachment is,
 * and the export's static {@link ExportPolicy} still adds its {@code tlsRequired} and {@code readOnly};
 * a volume without attachments follows its static policy alone. Decided from configuration, the
 * attachments and the client's address, TLS and certificate: no volume is looked up or opened.
 *
 * @param refusal  why the client may not use the export, or null
 * @param readOnly the client gets a read-only export
 * @param host     the attached host the client is, or null (static policy)
 */
record ExportAccess(ExportPolicy.Refusal refusal, boolean readOnly, String host) {

    /** The access of the client on {@code ctx} (TLS active or not) to export {@code name} ({@code VOL@SNAP} follows VOL). */
    static ExportAccess of(NbdContext context, ChannelHandlerContext ctx, boolean tls, String name) {
        String volume = ExportName.parse(name).volume();
        ExportPolicy policy = context.config().policy(volume);
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        Admission a = context.attachments().admit(volume, Client.nbd(remote.getAddress(), tls, PeerIdentity.of(ctx),
                tls ? PeerIdentity.sha256(ctx) : null));
        if (a.unmanaged()) {
            return new ExportAccess(policy.refusal(remote.getAddress(), tls, PeerIdentity.of(ctx)), policy.readOnly(), null);
        }
        if (a.refused()) {
            return new ExportAccess(a.certificateNeeded() ? ExportPolicy.Refusal.TLS_REQUIRED
                    : ExportPolicy.Refusal.NOT_ATTACHED, true, null);
        }
        if (policy.tlsRequired() && !tls) {
            return new ExportAccess(ExportPolicy.Refusal.TLS_REQUIRED, true, null);
        }
        return new ExportAccess(null, a.readOnly() || policy.readOnly(), a.host());
    }

    /**
     * Registers the connection on {@code ctx} (TLS active or not), now serving export {@code name} with {@code readOnly},
     * so that a change of the volume's attachments closes it when it is no longer admitted with those rights.
     */
    static void track(NbdContext context, ChannelHandlerContext ctx, boolean tls, String name, boolean readOnly) {
        String host = of(context, ctx, tls, name).host();
        Runnable unregister = context.attachments().sessions().opened(ExportName.parse(name).volume(), host, () -> {
            ExportAccess now = of(context, ctx, tls, name);
            return now.refusal() == null && (readOnly || !now.readOnly());
        }, ctx::close);
        ctx.channel().closeFuture().addListener(f -> unregister.run());
    }
}
