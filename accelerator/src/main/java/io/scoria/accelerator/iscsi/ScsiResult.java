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
 * @param acknowledged completes when a write may be acknowledged (see {@link io.scoria.accelerator.Volume#writeAsync},
 *                e.g. once the fail-over cache took it); null: at once
 */
record ScsiResult(int status, byte[] sense, ByteBuf data, long dataOutWanted,
                  java.util.concurrent.CompletableFuture<Void> acknowledged) {
    static final int GOOD = 0x00;
    static final int CHECK_CONDITION = 0x02;
    static final int RESERVATION_CONFLICT = 0x18;

    static ScsiResult good() {
        return new ScsiResult(GOOD, null, null, -1, null);
    }

    static ScsiResult good(ByteBuf data) {
        return new ScsiResult(GOOD, null, data, -1, null);
    }

    /** A write that wanted {@code bytes} of Data-Out, acknowledged when {@code acknowledged} completes (may be null). */
    static ScsiResult wrote(long bytes, java.util.concurrent.CompletableFuture<Void> acknowledged) {
        return new ScsiResult(GOOD, null, null, bytes, acknowledged);
    }

    static ScsiResult reservationConflict() {
        return new ScsiResult(RESERVATION_CONFLICT, null, null, -1, null);
    }

    static ScsiResult checkCondition(SenseException e) {
        return new ScsiResult(CHECK_CONDITION, e.senseData(), null, -1, null);
    }

    void release() {
        if (data != null && data.refCnt() > 0) {
            data.release();
        }
    }
}
