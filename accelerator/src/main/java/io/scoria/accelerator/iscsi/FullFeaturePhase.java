package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.scoria.accelerator.frontend.QosGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A logged-in connection (RFC 7143 full feature phase): checks each request's CmdSN against the
 * window, hands SCSI Commands and Data-Out to the {@link CommandPipeline}, answers NOP-Out, Text
 * (SendTargets, through {@link SendTargets}), Task Management (ABORT TASK, ABORT TASK SET, CLEAR
 * TASK SET, LUN RESET, TARGET WARM RESET, TARGET COLD RESET) and Logout, sends NOP-In pings, and rejects what it does
 * not support (SNACK: error recovery level 0) with a Reject PDU.
 *
 * <p>Threads: the connection's event loop only.
 */
final class FullFeaturePhase {
    private static final Logger log = LoggerFactory.getLogger(FullFeaturePhase.class);

    static final int REJECT_NOT_SUPPORTED = 0x05;

    private final Channel channel;
    private final PduWriter writer;
    private final Sequencer seq;
    private final CommandPipeline commands;
    private final SendTargets sendTargets;
    private final boolean discovery;
    private final SessionParams params;
    private final ConnectionFlow flow;
    private final QosGate qos;
    private final Runnable resume;
    /** Closes the target's other connections (TARGET COLD RESET); this one closes after its response. */
    private final Runnable coldReset;
    private boolean closeAfterTmf;
    private boolean qosTimer; // a resume is scheduled for when the volume's QoS caps let the next command go
    private PendingReply tmf;
    private PendingReply logout;
    private int pingTag = -1;
    private int nextPing = 1;

    /** A response that waits until the tasks it covers left. */
    private record PendingReply(byte[] header, List<ScsiTask> waitingFor) {
    }

    FullFeaturePhase(Channel channel, PduWriter writer, Sequencer seq, CommandPipeline commands,
                     SendTargets sendTargets, boolean discovery, SessionParams params, ConnectionFlow flow,
                     QosGate qos, Runnable resume, Runnable coldReset) {
        this.channel = channel;
        this.writer = writer;
        this.seq = seq;
        this.commands = commands;
        this.sendTargets = sendTargets;
        this.discovery = discovery;
        this.params = params;
        this.flow = flow;
        this.qos = qos;
        this.resume = resume;
        this.coldReset = coldReset;
    }

    /**
     * Handles one PDU; false if it must wait for budget (the caller keeps it and calls again after
     * a resume). Takes ownership of {@code pdu} when it returns true.
     */
    boolean handle(Pdu pdu) {
        int op = pdu.opcode();
        long budget = 0;
        if (op == Pdu.SCSI_COMMAND && !discovery) {
            if (!admitQos(pdu)) {
                return false;
            }
            budget = commands.budgetOf(pdu);
            if (!flow.tryTake(budget)) {
                return false;
            }
        }
        try {
            if (op == Pdu.DATA_OUT && !discovery) {
                commands.dataOut(pdu);
                return true;
            }
            if (op == Pdu.SNACK || op == Pdu.LOGIN || (discovery && op != Pdu.TEXT && op != Pdu.LOGOUT
                    && op != Pdu.NOP_OUT) || !isRequest(op)) {
                flow.giveBack(budget);
                reject(pdu, REJECT_NOT_SUPPORTED);
                return true;
            }
            Sequencer.Verdict v = seq.accept(pdu.immediate(), pdu.cmdSn());
            if (v == Sequencer.Verdict.VIOLATION) {
                flow.giveBack(budget);
                throw new PduException("CmdSN " + Integer.toUnsignedString(pdu.cmdSn()) + " skips ExpCmdSN "
                        + Integer.toUnsignedString(seq.expCmdSn()));
            }
            if (v == Sequencer.Verdict.IGNORE) {
                flow.giveBack(budget);
                log.debug("iSCSI {} ignored: CmdSN {} outside the window", pdu, Integer.toUnsignedString(pdu.cmdSn()));
                return true;
            }
            switch (op) {
                case Pdu.SCSI_COMMAND -> commands.start(pdu, budget);
                case Pdu.NOP_OUT -> nopOut(pdu);
                case Pdu.TEXT -> text(pdu);
                case Pdu.TASK_MGMT -> taskManagement(pdu);
                case Pdu.LOGOUT -> logout(pdu);
                default -> reject(pdu, REJECT_NOT_SUPPORTED);
            }
            return true;
        } finally {
            pdu.release();
        }
    }

    /**
     * Asks the volume's QoS gate whether a SCSI command may start (commands that move no block data
     * always may); if not, the connection stops reading and one timer resumes it when the caps let
     * the command go. The command waits at the head of the connection's queue, so order is kept.
     */
    private boolean admitQos(Pdu pdu) {
        int kind = QosClass.of(pdu.cdbOpcode());
        if (kind == QosClass.NONE || qos == null) {
            return true;
        }
        long wait = qos.admit(kind == QosClass.WRITE, kind == QosClass.UNMAP ? 0 : pdu.uint32(20));
        if (wait == 0) {
            return true;
        }
        flow.pause();
        if (!qosTimer) {
            qosTimer = true;
            channel.eventLoop().schedule(() -> {
                qosTimer = false;
                resume.run();
            }, wait, TimeUnit.NANOSECONDS);
        }
        return false;
    }

    private static boolean isRequest(int op) {
        return op == Pdu.SCSI_COMMAND || op == Pdu.NOP_OUT || op == Pdu.TEXT || op == Pdu.TASK_MGMT
                || op == Pdu.LOGOUT;
    }

    private void nopOut(Pdu pdu) {
        if (pdu.itt() == Pdu.RESERVED_TAG) {
            if (pdu.int32(20) == pingTag) {
                pingTag = -1; // the answer to our ping
            }
            return;
        }
        byte[] h = PduWriter.header(Pdu.NOP_IN, 0x80);
        PduWriter.putLong(h, 8, pdu.lun());
        PduWriter.putInt(h, 16, pdu.itt());
        PduWriter.putInt(h, 20, Pdu.RESERVED_TAG);
        seq.stamp(h, true);
        int n = Math.min(pdu.dataSegmentLength(), params.sendDataSegment());
        writer.send(h, n == 0 ? null : pdu.data().retainedSlice(pdu.data().readerIndex(), n));
    }

    /** Sends a NOP-In ping (keepalive); returns false if the previous one is still unanswered. */
    boolean ping() {
        if (pingTag != -1) {
            return false;
        }
        pingTag = nextPing++ & 0x7fffffff;
        byte[] h = PduWriter.header(Pdu.NOP_IN, 0x80);
        PduWriter.putInt(h, 16, Pdu.RESERVED_TAG);
        PduWriter.putInt(h, 20, pingTag);
        seq.stamp(h, false);
        writer.send(h, null);
        return true;
    }

    private void text(Pdu pdu) {
        byte[] keys = new byte[pdu.dataSegmentLength()];
        pdu.data().getBytes(pdu.data().readerIndex(), keys);
        int itt = pdu.itt();
        int ttt = pdu.int32(20);
        boolean more = (pdu.flags() & 0x40) != 0;
        if (more) {
            reject(pdu, REJECT_NOT_SUPPORTED);
            return;
        }
        sendTargets.answer(keys, ttt, channel.localAddress(), chunk -> {
            byte[] h = PduWriter.header(Pdu.TEXT_RESPONSE, chunk.last() ? 0x80 : 0x40);
            PduWriter.putInt(h, 16, itt);
            PduWriter.putInt(h, 20, chunk.last() ? Pdu.RESERVED_TAG : chunk.transferTag());
            seq.stamp(h, true);
            writer.send(h, PduWriter.wrap(chunk.bytes()));
        }, params.sendDataSegment());
    }

    private void taskManagement(Pdu pdu) {
        int function = pdu.flags() & 0x7f;
        byte[] h = PduWriter.header(Pdu.TASK_MGMT_RESPONSE, 0x80);
        PduWriter.putInt(h, 16, pdu.itt());
        boolean lunZero = ((pdu.lun() >>> 48) & 0x3fff) == 0;
        List<ScsiTask> affected = List.of();
        switch (function) {
            case 1 -> { // ABORT TASK (RFC 7143 section 11.5.1: a task never received before the TMF is complete)
                affected = commands.select(pdu.int32(20));
                if (affected.isEmpty()) {
                    boolean earlier = Sequencer.less(pdu.int32(32), pdu.cmdSn()) || pdu.int32(32) == pdu.cmdSn();
                    h[2] = (byte) (earlier ? 0 : 1); // function complete, or task does not exist
                }
            }
            case 2, 4, 5 -> { // ABORT TASK SET, CLEAR TASK SET, LUN RESET
                if (lunZero) {
                    affected = commands.select(null);
                    if (function == 5) {
                        commands.resetLun(); // ends an SPC-2 reservation (persistent ones stay)
                    }
                } else {
                    h[2] = 2; // LUN does not exist
                }
            }
            case 6 -> { // TARGET WARM RESET: this session's tasks; the SPC-2 reservation ends
                affected = commands.select(null);
                commands.resetLun();
            }
            case 7 -> { // TARGET COLD RESET: as warm, then every connection to the target closes (RFC 7143 11.5.1)
                affected = commands.select(null);
                commands.resetLun();
                closeAfterTmf = true;
            }
            case 3 -> h[2] = (byte) (lunZero ? 0 : 2); // CLEAR ACA: no ACA is ever established
            case 8 -> h[2] = 4; // task reassign not supported (error recovery level 0)
            default -> h[2] = 5; // function not supported
        }
        List<ScsiTask> running = affected.stream().filter(t -> !commands.abort(t)).toList();
        log.info("iSCSI task management function {} from {}: {} tasks aborted", function, channel.remoteAddress(),
                affected.size());
        tmf = new PendingReply(h, new java.util.ArrayList<>(running));
        sendIfDone();
    }

    private void logout(Pdu pdu) {
        int reason = pdu.flags() & 0x7f;
        byte[] h = PduWriter.header(Pdu.LOGOUT_RESPONSE, 0x80);
        PduWriter.putInt(h, 16, pdu.itt());
        h[2] = (byte) (reason == 2 ? 2 : 0); // removing a connection for recovery is not supported
        logout = new PendingReply(h, new java.util.ArrayList<>(commands == null ? List.of() : commands.select(null)));
        sendIfDone();
    }

    /** A task left the pipeline: responses waiting for it may go out. */
    void taskFinished(ScsiTask t) {
        if (tmf != null) {
            tmf.waitingFor().remove(t);
        }
        if (logout != null) {
            logout.waitingFor().remove(t);
        }
        sendIfDone();
    }

    private void sendIfDone() {
        if (tmf != null && tmf.waitingFor().isEmpty()) {
            byte[] h = tmf.header();
            seq.stamp(h, true);
            tmf = null;
            if (closeAfterTmf) {
                // the response goes out first; then every connection to the target closes, this one last
                closeAfterTmf = false;
                writer.write(h, null);
                coldReset.run();
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else {
                writer.send(h, null);
            }
        }
        if (logout != null && logout.waitingFor().isEmpty()) {
            byte[] h = logout.header();
            seq.stamp(h, true);
            logout = null;
            writer.write(h, null);
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Sends a Reject PDU carrying the header of {@code pdu}. */
    void reject(Pdu pdu, int reason) {
        byte[] h = PduWriter.header(Pdu.REJECT, 0x80);
        h[2] = (byte) reason;
        PduWriter.putInt(h, 16, Pdu.RESERVED_TAG);
        seq.stamp(h, true);
        ByteBuf header = Unpooled.wrappedBuffer(pdu.header());
        writer.send(h, header);
    }

    boolean awaitingData() {
        return commands != null && commands.awaitingData();
    }

    boolean pingOutstanding() {
        return pingTag != -1;
    }

    void closed() {
        if (commands != null) {
            commands.closed();
        }
    }
}
