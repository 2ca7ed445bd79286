package io.scoria.accelerator.iscsi;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.buffer.Unpooled;
import io.scoria.accelerator.frontend.Admission;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The login phase of one connection (RFC 7143 sections 6.3, 11.12, 11.13): the security stage
 * ({@link ChapExchange}), the operational stage ({@link OperationalNegotiation}) and the move to full
 * feature phase, for a discovery session or a normal session with one target (a volume: its name
 * after the IQN prefix; {@link InitiatorAccess} decides whether the initiator may use it). A login that fails gets a Login Response with the failure's status and the
 * connection is closed. Adding a connection to an existing session (a non-zero TSIH) is refused:
 * sessions have one connection.
 *
 * <p>Threads: the connection's event loop; opening the target's volume runs on a worker while the
 * connection is not read.
 */
final class LoginPhase {
    private static final Logger log = LoggerFactory.getLogger(LoginPhase.class);

    /** What a successful login hands to the full feature phase. */
    record Result(boolean discovery, ScsiLun lun, String initiator, String target, SessionParams params,
                  Sequencer sequencer, String nexus) {
    }

    private final IscsiContext context;
    private final Channel channel;
    private final PduWriter writer;
    private final Consumer<Result> done;
    private final Runnable resolved;
    private final OperationalNegotiation negotiation = new OperationalNegotiation();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private boolean first = true;
    private byte[] isid;
    private int statSn = 1;
    private int cmdSn;
    private String initiator;
    private String target;
    private boolean discovery;
    private ScsiLun lun;
    private ChapExchange chap;
    private ChapSettings chapSettings;
    private Admission admission = Admission.UNMANAGED;
    private boolean securityPassed;
    private boolean portalGroupSent;
    private boolean failed;

    private boolean resolving;

    /** @param resolved runs on the event loop once the target's volume was opened (PDUs that waited go on) */
    LoginPhase(IscsiContext context, Channel channel, PduWriter writer, Consumer<Result> done, Runnable resolved) {
        this.context = context;
        this.channel = channel;
        this.writer = writer;
        this.done = done;
        this.resolved = resolved;
    }

    /** True while the target's volume is being opened: further PDUs must wait. */
    boolean busy() {
        return resolving;
    }

    void handle(Pdu pdu) {
        try {
            if (failed) {
                return;
            }
            if (pdu.opcode() != Pdu.LOGIN) {
                throw new PduException("PDU 0x" + Integer.toHexString(pdu.opcode()) + " during login");
            }
            byte[] text = new byte[pdu.dataSegmentLength()];
            pdu.data().getBytes(pdu.data().readerIndex(), text);
            if (partial.size() + text.length > SessionParams.LOGIN_DATA_SEGMENT) {
                throw new LoginException(LoginException.INITIATOR_ERROR, "login text longer than 64 KiB");
            }
            partial.writeBytes(text);
            if ((pdu.flags() & 0x40) != 0) { // C: more text follows
                respond(pdu, 0, 0, false, Map.of());
                return;
            }
            byte[] all = partial.toByteArray();
            partial.reset();
            step(pdu, TextKeys.parse(all));
        } catch (LoginException e) {
            fail(pdu, e);
        } finally {
            pdu.release();
        }
    }

    private void step(Pdu pdu, Map<String, String> keys) {
        if (first) {
            first(pdu, keys);
            if (!discovery && lun == null) {
                resolveThen(pdu, keys);
                return;
            }
        } else if (!java.util.Arrays.equals(isid, java.util.Arrays.copyOfRange(pdu.header(), 8, 14))) {
            throw new LoginException(LoginException.INITIATOR_ERROR, "ISID changed during login");
        }
        negotiate(pdu, keys);
    }

    private void first(Pdu pdu, Map<String, String> keys) {
        first = false;
        if (pdu.byteAt(3) > 0) {
            throw new LoginException(LoginException.UNSUPPORTED_VERSION, "version-min " + pdu.byteAt(3));
        }
        isid = java.util.Arrays.copyOfRange(pdu.header(), 8, 14);
        cmdSn = pdu.cmdSn();
        statSn = pdu.expStatSn() != 0 ? pdu.expStatSn() : 1;
        if (((pdu.byteAt(14) << 8) | pdu.byteAt(15)) != 0) {
            throw new LoginException(LoginException.SESSION_DOES_NOT_EXIST,
                    "adding a connection to a session (TSIH) is not supported");
        }
        initiator = keys.get("InitiatorName");
        if (initiator == null) {
            throw new LoginException(LoginException.MISSING_PARAMETER, "no InitiatorName");
        }
        String type = keys.getOrDefault("SessionType", "Normal");
        discovery = type.equals("Discovery");
        if (!discovery && !type.equals("Normal")) {
            throw new LoginException(LoginException.INITIATOR_ERROR, "SessionType " + type);
        }
        target = keys.get("TargetName");
        if (!discovery && target == null) {
            throw new LoginException(LoginException.MISSING_PARAMETER, "no TargetName");
        }
        String volume = discovery ? null : context.config().volumeOf(target);
        if (!discovery && volume == null) {
            throw new LoginException(LoginException.NOT_FOUND, "no target " + target);
        }
        if (!discovery) {
            admission = InitiatorAccess.admit(context, channel, volume, initiator);
        }
        chapSettings = discovery ? context.config().discoveryChap()
                : InitiatorAccess.chap(context.config().chapOf(volume), admission);
        chap = new ChapExchange(chapSettings, initiator);
    }

    /** Opens the target's volume on a worker, then goes on with this PDU on the event loop. */
    private void resolveThen(Pdu pdu, Map<String, String> keys) {
        Pdu copy = Pdu.of(pdu.header());
        resolving = true;
        channel.config().setAutoRead(false);
        try {
            context.workers().execute(() -> {
                ScsiLun found;
                try {
                    found = context.targets().lun(context.config().volumeOf(target), admission.readOnly());
                } catch (RuntimeException e) {
                    log.warn("iSCSI target {} cannot be opened", target, e);
                    found = null;
                }
                ScsiLun result = found;
                channel.eventLoop().execute(() -> {
                    resolving = false;
                    try {
                        if (result == null) {
                            throw new LoginException(LoginException.NOT_FOUND, "no target " + target);
                        }
                        lun = result;
                        negotiate(copy, keys);
                    } catch (LoginException e) {
                        fail(copy, e);
                    } catch (RuntimeException e) {
                        channel.pipeline().fireExceptionCaught(e);
                    }
                    resolved.run();
                });
            });
        } catch (RejectedExecutionException e) {
            resolving = false;
            fail(copy, new LoginException(LoginException.OUT_OF_RESOURCES, "the server is shutting down"));
        }
    }

    private void negotiate(Pdu pdu, Map<String, String> keys) {
        int flags = pdu.flags();
        boolean transit = (flags & 0x80) != 0;
        int csg = (flags >> 2) & 3;
        int nsg = flags & 3;
        Map<String, String> answers = new LinkedHashMap<>();
        if (csg == 0) {
            chap.handle(keys, answers);
            if (!chapSettings.required() && !keys.containsKey("AuthMethod") && !chap.complete()) {
                securityPassed = true;
            }
            securityPassed |= chap.complete();
            keys.keySet().stream().filter(k -> !k.startsWith("CHAP_") && !k.equals("AuthMethod")
                    && !OperationalNegotiation.declarative(k)).forEach(k -> answers.put(k, "NotUnderstood"));
        } else if (csg == 1) {
            if (chapSettings.required() && !securityPassed) {
                throw new LoginException(LoginException.AUTHENTICATION_FAILED, "initiator " + initiator
                        + " skipped the security stage of a target that requires CHAP");
            }
            securityPassed = true;
            keys.forEach((k, v) -> negotiation.offer(k, v, answers));
            negotiation.declare(answers);
        } else {
            throw new LoginException(LoginException.INITIATOR_ERROR, "login stage " + csg);
        }
        if (!discovery && csg == 0 && !portalGroupSent) {
            portalGroupSent = true; // RFC 7143 section 13.9: in the first response of the security stage
            answers.put("TargetPortalGroupTag", "1");
        }
        boolean go = transit && (csg == 1 || securityPassed);
        if (transit && (nsg <= csg || nsg == 2)) {
            throw new LoginException(LoginException.INITIATOR_ERROR, "transit from stage " + csg + " to " + nsg);
        }
        if (go && nsg == 3) {
            SessionParams params = negotiation.result();
            int tsih = context.nextTsih();
            respond(pdu, csg, 3, true, answers, tsih);
            log.info("iSCSI {} login of {} from {} to {}", discovery ? "discovery" : "normal", initiator,
                    channel.remoteAddress(), discovery ? "discovery" : target);
            done.accept(new Result(discovery, lun, initiator, target, params,
                    new Sequencer(context.config().limits().cmdWindow(), statSn, cmdSn),
                    initiator + ",i,0x" + java.util.HexFormat.of().formatHex(isid)));
            return;
        }
        respond(pdu, csg, go ? nsg : 0, go, answers);
    }

    private void respond(Pdu request, int csg, int nsg, boolean transit, Map<String, String> answers) {
        respond(request, csg, nsg, transit, answers, 0);
    }

    private void respond(Pdu request, int csg, int nsg, boolean transit, Map<String, String> answers, int tsih) {
        byte[] h = PduWriter.header(Pdu.LOGIN_RESPONSE, (transit ? 0x80 : 0) | (csg << 2) | (transit ? nsg : 0));
        System.arraycopy(request.header(), 8, h, 8, 6);
        h[14] = (byte) (tsih >> 8);
        h[15] = (byte) tsih;
        PduWriter.putInt(h, 16, request.itt());
        PduWriter.putInt(h, 24, statSn++);
        PduWriter.putInt(h, 28, cmdSn);
        PduWriter.putInt(h, 32, cmdSn + context.config().limits().cmdWindow() - 1);
        writer.send(h, PduWriter.wrap(TextKeys.format(answers)));
    }

    private void fail(Pdu request, LoginException e) {
        failed = true;
        String why = e.getMessage().replaceAll("[^\\x20-\\x7e]", "?"); // initiator text: no control characters
        if (e.status() == LoginException.AUTHENTICATION_FAILED) {
            log.warn("iSCSI login from {} refused: {}", channel.remoteAddress(), why);
        } else {
            log.info("iSCSI login from {} failed (status 0x{}): {}", channel.remoteAddress(),
                    Integer.toHexString(e.status()), why);
        }
        byte[] h = PduWriter.header(Pdu.LOGIN_RESPONSE, 0);
        System.arraycopy(request.header(), 8, h, 8, 6);
        PduWriter.putInt(h, 16, request.itt());
        PduWriter.putInt(h, 24, statSn++);
        PduWriter.putInt(h, 28, cmdSn);
        PduWriter.putInt(h, 32, cmdSn);
        h[36] = (byte) (e.status() >> 8);
        h[37] = (byte) e.status();
        writer.write(h, null);
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
}
