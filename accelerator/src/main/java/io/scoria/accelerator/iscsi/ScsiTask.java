package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;

/**
 * One SCSI command of a session, from its SCSI Command PDU to its response: its CDB, expected
 * transfer, the Data-Out buffer being filled (immediate data, unsolicited Data-Out, then one R2T
 * burst at a time), the bytes of the connection's budget it holds, and whether a task management
 * function aborted it.
 *
 * <p>Not thread-safe: fields change on the connection's event loop; the worker that runs the
 * command only reads what was set before it was handed over.
 */
final class ScsiTask {
    final int itt;
    final long lun;
    final byte[] cdb;
    final boolean read;
    final boolean write;
    final int expectedLength;
    final long budget;
    final int cmdSn;
    /** {@link System#nanoTime} when its SCSI Command PDU arrived: the start of its latency. */
    final long startNanos = System.nanoTime();
    /** Bytes the volume's meters count for it ({@link MeteredOp}), set when its data is in. */
    long meteredBytes;
    /** Data-Out bytes, null for commands without (or refused) data. */
    ByteBuf buffer;
    /** Unsolicited bytes the initiator may send (immediate data included). */
    int unsolicitedEnd;
    int received;
    /** Next byte offset to solicit with an R2T. */
    int nextSolicit;
    /** The R2T outstanding: its transfer tag, offset and end, or tag -1 for none. */
    int r2tTag = -1;
    int r2tOffset;
    int r2tEnd;
    int r2tSn;
    /** DataSN the next Data-Out of the unsolicited sequence and of the current R2T's sequence must carry. */
    int unsolicitedDataSn;
    int solicitedDataSn;
    /** Why the command fails once its data is in (a too-long transfer), or null. */
    SenseException refusal;
    boolean dispatched;
    boolean aborted;

    ScsiTask(int itt, long lun, byte[] cdb, boolean read, boolean write, int expectedLength, long budget, int cmdSn) {
        this.itt = itt;
        this.lun = lun;
        this.cdb = cdb;
        this.read = read;
        this.write = write;
        this.expectedLength = expectedLength;
        this.budget = budget;
        this.cmdSn = cmdSn;
    }

    /** True when every byte the command waits for arrived. */
    boolean dataComplete() {
        return !write || received >= expectedLength || (refusal != null && received >= unsolicitedEnd);
    }

    void releaseBuffer() {
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }
}
