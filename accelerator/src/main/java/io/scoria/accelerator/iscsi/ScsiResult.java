package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;

/**
 * How a SCSI command ended: status, sense data for CHECK CONDITION, and the data for the
 * initiator (Data-In), which this result owns until it is sent or released.
 *
 * @param status  SCSI status (GOOD 0x00, CHECK CONDITION 0x02)
 * @param sense   fixed-format sense data, or null
 * @param data    Data-In bytes (readable bytes are the data), or null
 * @param dataOutWanted bytes of Data-Out the CDB asked for (a WRITE's transfer length), or -1 when the
 *                command took exactly what was sent; the difference to the expected data transfer
 *                length is reported as a residual
 */
record ScsiResult(int status, byte[] sense, ByteBuf data, long dataOutWanted) {
    static final int GOOD = 0x00;
    static final int CHECK_CONDITION = 0x02;
    static final int RESERVATION_CONFLICT = 0x18;

    static ScsiResult good() {
        return new ScsiResult(GOOD, null, null, -1);
    }

    static ScsiResult good(ByteBuf data) {
        return new ScsiResult(GOOD, null, data, -1);
    }

    /** A write that wanted {@code bytes} of Data-Out. */
    static ScsiResult wrote(long bytes) {
        return new ScsiResult(GOOD, null, null, bytes);
    }

    static ScsiResult reservationConflict() {
        return new ScsiResult(RESERVATION_CONFLICT, null, null, -1);
    }

    static ScsiResult checkCondition(SenseException e) {
        return new ScsiResult(CHECK_CONDITION, e.senseData(), null, -1);
    }

    void release() {
        if (data != null && data.refCnt() > 0) {
            data.release();
        }
    }
}
