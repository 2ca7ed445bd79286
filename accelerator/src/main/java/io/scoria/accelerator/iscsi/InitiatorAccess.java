package io.scoria.accelerator.iscsi;

import io.netty.channel.Channel;
import io.scoria.accelerator.frontend.Admission;
import io.scoria.accelerator.frontend.Client;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Whether an initiator may log in to a target: a volume attached to hosts admits only their
 * initiators (by IQN, within the host's address if it has one), with the host's CHAP secret if it
 * has one (else the target's CHAP), read-only if the attachment is; a volume without attachments
 * admits what the target's CHAP admits. Decided before the volume is opened. Stateless.
 */
final class InitiatorAccess {
    private InitiatorAccess() {
    }

    /** The admission of {@code initiator} on {@code channel} to {@code volume}; a refusal is a login failure. */
    static Admission admit(IscsiContext context, Channel channel, String volume, String initiator) {
        Admission a = context.attachments().admit(volume, client(channel, initiator));
        if (a.refused()) {
            throw new LoginException(LoginException.NOT_AUTHORIZED, "initiator " + initiator
                    + " is not a host the volume of target " + volume + " is attached to");
        }
        java.util.Optional<String> unavailable = context.attachments().unavailable(volume);
        if (unavailable.isPresent()) {
            throw new LoginException(LoginException.SERVICE_UNAVAILABLE, unavailable.get());
        }
        return a;
    }

    /** The CHAP the initiator must pass: the attached host's secret if it has one, else the target's. */
    static ChapSettings chap(ChapSettings target, Admission a) {
        if (a.chapSecret() == null) {
            return target;
        }
        return new ChapSettings(null, a.chapSecret(), target.mutualUser(), target.mutualSecret(), Map.of());
    }

    /**
     * Registers the session on {@code channel} with {@code volume} so that a change of the volume's
     * attachments closes it once it is no longer admitted with the rights it has.
     */
    static void track(IscsiContext context, Channel channel, String volume, String initiator, boolean readOnly) {
        String host = context.attachments().admit(volume, client(channel, initiator)).host();
        Runnable unregister = context.attachments().sessions().opened(volume, host, () -> {
            Admission now = context.attachments().admit(volume, client(channel, initiator));
            return !now.refused() && (readOnly || !now.readOnly());
        }, channel::close);
        channel.closeFuture().addListener(f -> unregister.run());
    }

    private static Client client(Channel channel, String initiator) {
        return Client.iscsi(((InetSocketAddress) channel.remoteAddress()).getAddress(), initiator);
    }
}
