package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.scoria.accelerator.metrics.VolumeMeters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The SCSI commands of one session in full feature phase (RFC 7143 sections 4.2.3, 11.3-11.8):
 * a SCSI Command takes its bytes from the connection's budget, collects its Data-Out (immediate
 * data, unsolicited Data-Out up to FirstBurstLength, then R2Ts of at most MaxBurstLength, one
 * outstanding at a time), runs on a worker, and is answered on the event loop in whatever order
 * commands finish: Data-In PDUs of at most the initiator's MaxRecvDataSegmentLength with the status
 * in the last one (phase collapse), or a SCSI Response with sense data and residual counts.
 *
 * <p>Threads: everything but {@link ScsiLun#execute} runs on the connection's event loop. Buffers:
 * a Data-Out buffer belongs to its task until the worker ran the command; a Data-In buffer passes
 * to the channel; budget comes back when a command's Data-In left the socket buffer.
 */
final class CommandPipeline {
    private static final Logger log = LoggerFactory.getLogger(CommandPipeline.class);

    private final Channel channel;
    private final PduWriter writer;
    private final Sequencer seq;
    private final ConnectionFlow flow;
    private final Executor workers;
    private final ScsiLun lun;
    private final SessionParams params;
    private final int maxTransfer;
    private final Map<Integer, ScsiTask> tasks = new HashMap<>();
    private final Consumer<ScsiTask> finished;
    private final String nexus;
    private final VolumeMeters meters;
    private int nextTransferTag = 1;

    /**
     * @param nexus    the session's I_T nexus ({@code <initiator>,i,0x<ISID>})
     * @param meters   the volume's request meters, recorded into as each block command is answered
     * @param finished runs on the event loop after a task left (answered, aborted or dropped)
     */
    CommandPipeline(Channel channel, PduWriter writer, Sequencer seq, ConnectionFlow flow, Executor workers,
                    ScsiLun lun, SessionParams params, int maxTransfer, String nexus, VolumeMeters meters,
                    Consumer<ScsiTask> finished) {
        this.nexus = nexus;
        this.meters = meters;
        this.channel = channel;
        this.writer = writer;
        this.seq = seq;
        this.flow = flow;
        this.workers = workers;
        this.lun = lun;
        this.params = params;
        this.maxTransfer = maxTransfer;
        this.finished = finished;
    }

    /** Bytes a SCSI Command PDU needs from the budget before it can start. */
    long budgetOf(Pdu pdu) {
        boolean write = (pdu.flags() & 0x20) != 0;
        boolean read = (pdu.flags() & 0x40) != 0;
        long edtl = pdu.uint32(20);
        if (write) {
            return Math.min(edtl, maxTransfer);
        }
        return read ? Math.min(Math.max(edtl, lun.dataInBytes(pdu.cdb())), maxTransfer) : 0;
    }

    /** Starts a SCSI command whose budget was taken. Throws {@link PduException} on a protocol violation. */
    void start(Pdu pdu, long budget) {
        int itt = pdu.itt();
        int flags = pdu.flags();
        boolean write = (flags & 0x20) != 0;
        boolean read = (flags & 0x40) != 0;
        long edtl = pdu.uint32(20);
        int immediate = pdu.dataSegmentLength();
        if (tasks.containsKey(itt)) {
            flow.giveBack(budget);
            throw new PduException("task tag 0x" + Integer.toHexString(itt) + " is in use");
        }
        if (immediate > 0 && (!write || !params.immediateData() || immediate > params.firstBurst() || immediate > edtl)) {
            flow.giveBack(budget);
            throw new PduException("immediate data of " + immediate + " bytes not allowed (EDTL " + edtl + ")");
        }
        boolean unsolicitedFollows = write && (flags & 0x80) == 0;
        if (unsolicitedFollows && params.initialR2T()) {
            flow.giveBack(budget);
            throw new PduException("unsolicited Data-Out with InitialR2T=Yes");
        }
        ScsiTask t = new ScsiTask(itt, pdu.lun(), pdu.cdb(), read, write, (int) Math.min(edtl, Integer.MAX_VALUE),
                budget, pdu.cmdSn());
        tasks.put(itt, t);
        seq.inFlight(true);
        if (write) {
            t.unsolicitedEnd = unsolicitedFollows ? (int) Math.min(params.firstBurst(), edtl) : immediate;
            if (edtl > maxTransfer) {
                t.refusal = SenseException.invalidField("expected data transfer length " + edtl + " exceeds the maximum "
                        + maxTransfer);
            } else if (edtl > 0) {
                t.buffer = channel.alloc().directBuffer((int) edtl, (int) edtl);
                t.buffer.writerIndex((int) edtl);
            }
            if (immediate > 0) {
                if (t.buffer != null) {
                    t.buffer.setBytes(0, pdu.data(), pdu.data().readerIndex(), immediate);
                }
                t.received = immediate;
            }
            t.nextSolicit = t.refusal != null ? t.expectedLength : t.unsolicitedEnd;
            solicit(t);
        }
        if (t.dataComplete()) {
            dispatch(t);
        }
    }

    /** A Data-Out PDU. Throws {@link PduException} on a protocol violation. */
    void dataOut(Pdu pdu) {
        ScsiTask t = tasks.get(pdu.itt());
        if (t == null || t.dispatched) {
            return; // its task was aborted: the data is dropped (RFC 7143 section 4.2.3.3)
        }
        int ttt = pdu.int32(20);
        long offset = pdu.uint32(40);
        int length = pdu.dataSegmentLength();
        long end = offset + length;
        boolean solicited = ttt != Pdu.RESERVED_TAG;
        if (!t.write || end > t.expectedLength
                || (solicited ? ttt != t.r2tTag || offset < t.r2tOffset || end > t.r2tEnd : end > t.unsolicitedEnd)) {
            throw new PduException("Data-Out for task 0x" + Integer.toHexString(t.itt) + " at " + offset + "+" + length
                    + " outside what was expected");
        }
        int dataSn = pdu.int32(36);
        int expectedSn = solicited ? t.solicitedDataSn++ : t.unsolicitedDataSn++;
        if (dataSn != expectedSn) {
            throw new PduException("Data-Out for task 0x" + Integer.toHexString(t.itt) + " has DataSN " + dataSn
                    + ", expected " + expectedSn + " (error recovery level 0)");
        }
        if (t.buffer != null && length > 0) {
            t.buffer.setBytes((int) offset, pdu.data(), pdu.data().readerIndex(), length);
        }
        t.received += length;
        if (solicited && pdu.finalBit()) {
            t.r2tTag = -1;
            solicit(t);
        }
        if (t.dataComplete() && !t.dispatched) {
            dispatch(t);
        }
    }

    /** Sends the next R2T of {@code t} if none is outstanding and bytes remain to solicit. */
    private void solicit(ScsiTask t) {
        if (t.r2tTag != -1 || t.nextSolicit >= t.expectedLength) {
            return;
        }
        int length = Math.min(params.maxBurst(), t.expectedLength - t.nextSolicit);
        t.r2tTag = nextTransferTag++ & 0x7fffffff;
        t.solicitedDataSn = 0;
        t.r2tOffset = t.nextSolicit;
        t.r2tEnd = t.nextSolicit + length;
        t.nextSolicit += length;
        byte[] h = PduWriter.header(Pdu.R2T, 0x80);
        PduWriter.putLong(h, 8, t.lun);
        PduWriter.putInt(h, 16, t.itt);
        PduWriter.putInt(h, 20, t.r2tTag);
        seq.stamp(h, false);
        PduWriter.putInt(h, 36, t.r2tSn++);
        PduWriter.putInt(h, 40, t.r2tOffset);
        PduWriter.putInt(h, 44, length);
        writer.send(h, null);
    }

    /** True while some task waits for Data-Out from the initiator. */
    boolean awaitingData() {
        for (ScsiTask t : tasks.values()) {
            if (!t.dispatched) {
                return true;
            }
        }
        return false;
    }

    private void dispatch(ScsiTask t) {
        t.dispatched = true;
        t.meteredBytes = MeteredOp.of(t.cdb[0] & 0xff) == VolumeMeters.TRIM
                ? MeteredOp.unmapBytes(t.buffer, lun.blockSize()) : t.expectedLength;
        if (t.refusal != null) {
            complete(t, ScsiResult.checkCondition(t.refusal));
            return;
        }
        try {
            workers.execute(() -> {
                ScsiResult r = lun.execute(t.cdb, (t.lun >>> 48) & 0x3fff, t.buffer, channel.alloc(), nexus);
                if (r.acknowledged() == null) {
                    toEventLoop(t, r);
                } else {
                    r.acknowledged().whenComplete((v, e) -> toEventLoop(t, e == null ? r : failedAck(t, e)));
                }
            });
        } catch (RejectedExecutionException e) {
            complete(t, ScsiResult.checkCondition(SenseException.internalFailure()));
        }
    }

    /** Answers {@code t} on the event loop (from a worker, or the thread that acknowledged a write). */
    private void toEventLoop(ScsiTask t, ScsiResult r) {
        try {
            channel.eventLoop().execute(() -> complete(t, r));
        } catch (RejectedExecutionException e) {
            r.release();
            flow.giveBack(t.budget);
        }
    }

    private static ScsiResult failedAck(ScsiTask t, Throwable e) {
        log.error("iSCSI write of task 0x{} was not acknowledged", Integer.toHexString(t.itt), e);
        return ScsiResult.checkCondition(SenseException.internalFailure());
    }

    private void complete(ScsiTask t, ScsiResult r) {
        t.releaseBuffer();
        int op = MeteredOp.of(t.cdb[0] & 0xff);
        if (op != MeteredOp.NONE && !t.aborted) {
            meters.record(op, t.meteredBytes, t.startNanos, r.status() == ScsiResult.GOOD);
        }
        tasks.remove(t.itt);
        seq.inFlight(false);
        if (t.aborted || !channel.isActive()) {
            r.release();
            flow.giveBack(t.budget);
            finished.accept(t);
            return;
        }
        respond(t, r);
        long budget = t.budget;
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> flow.giveBack(budget));
        finished.accept(t);
    }

    private void respond(ScsiTask t, ScsiResult r) {
        ByteBuf data = r.data();
        int produced = data == null ? 0 : data.readableBytes();
        int sent = t.read ? Math.min(produced, t.expectedLength) : 0;
        int residualFlag = 0;
        int residual = 0;
        long wanted = t.read ? produced : r.dataOutWanted() >= 0 ? r.dataOutWanted() : t.expectedLength;
        if (wanted > t.expectedLength) {
            residualFlag = 0x04; // O: overflow
            residual = (int) Math.min(wanted - t.expectedLength, Integer.MAX_VALUE);
        } else if (wanted < t.expectedLength) {
            residualFlag = 0x02; // U: underflow
            residual = (int) (t.expectedLength - wanted);
        }
        int dataSn = 0;
        if (sent > 0) {
            boolean collapse = r.status() == ScsiResult.GOOD;
            dataSn = sendDataIn(t, data, sent, collapse, residualFlag, residual);
            if (collapse) {
                writer.flush();
                return;
            }
        } else if (data != null) {
            data.release();
        }
        if (data != null && sent == 0) {
            data = null;
        }
        byte[] h = PduWriter.header(Pdu.SCSI_RESPONSE, 0x80 | residualFlag);
        h[3] = (byte) r.status();
        PduWriter.putInt(h, 16, t.itt);
        seq.stamp(h, true);
        PduWriter.putInt(h, 36, dataSn);
        PduWriter.putInt(h, 44, residual);
        ByteBuf sense = null;
        if (r.sense() != null) {
            sense = Unpooled.buffer(2 + r.sense().length);
            sense.writeShort(r.sense().length).writeBytes(r.sense());
        }
        writer.send(h, sense);
    }

    /** Sends {@code length} bytes of {@code data} (taking it over) as Data-In PDUs; returns how many were sent. */
    private int sendDataIn(ScsiTask t, ByteBuf data, int length, boolean withStatus, int residualFlag, int residual) {
        int segment = params.sendDataSegment();
        int dataSn = 0;
        int offset = 0;
        int base = data.readerIndex();
        while (offset < length) {
            int n = Math.min(segment, length - offset);
            boolean last = offset + n == length;
            boolean sequenceEnd = last || (offset + n) % params.maxBurst() < n;
            int flags = (sequenceEnd ? 0x80 : 0) | (last && withStatus ? 0x01 | residualFlag : 0);
            byte[] h = PduWriter.header(Pdu.DATA_IN, flags);
            PduWriter.putLong(h, 8, t.lun);
            PduWriter.putInt(h, 16, t.itt);
            PduWriter.putInt(h, 20, Pdu.RESERVED_TAG);
            seq.stamp(h, last && withStatus);
            PduWriter.putInt(h, 36, dataSn++);
            PduWriter.putInt(h, 40, offset);
            if (last && withStatus) {
                PduWriter.putInt(h, 44, residual);
            }
            writer.write(h, data.retainedSlice(base + offset, n));
            offset += n;
        }
        data.release();
        return dataSn;
    }

    /** The tasks a task management function affects: one by tag, or all of this session. */
    List<ScsiTask> select(Integer itt) {
        List<ScsiTask> out = new ArrayList<>();
        for (ScsiTask t : tasks.values()) {
            if (itt == null || t.itt == itt) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Aborts {@code t}: a task still waiting for data leaves now (true); a running one is answered
     * by nobody and leaves when its worker is done (false).
     */
    boolean abort(ScsiTask t) {
        t.aborted = true;
        if (t.dispatched) {
            return false;
        }
        t.releaseBuffer();
        tasks.remove(t.itt);
        seq.inFlight(false);
        flow.giveBack(t.budget);
        return true;
    }

    /** The connection closed: tasks waiting for data give their buffers and budget back. */
    void closed() {
        for (ScsiTask t : select(null)) {
            if (!t.dispatched) {
                abort(t);
            } else {
                t.aborted = true;
            }
        }
        if (!tasks.isEmpty()) {
            log.debug("{} commands still running on a closed connection", tasks.size());
        }
    }

    int tasks() {
        return tasks.size();
    }
}
