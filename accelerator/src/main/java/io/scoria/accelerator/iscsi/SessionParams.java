package io.scoria.accelerator.iscsi;

/**
 * The operational parameters a login negotiated (RFC 7143 section 13), with the RFC's defaults for
 * keys the initiator did not offer. Immutable.
 *
 * @param sendDataSegment  largest data segment the initiator accepts (its MaxRecvDataSegmentLength)
 * @param recvDataSegment  largest data segment the target accepts (the target's declaration)
 * @param maxBurst         MaxBurstLength: bytes of one solicited burst or Data-In sequence
 * @param firstBurst       FirstBurstLength: unsolicited bytes (immediate plus Data-Out) of one command
 * @param immediateData    ImmediateData
 * @param initialR2T       InitialR2T
 * @param headerDigest     HeaderDigest=CRC32C
 * @param dataDigest       DataDigest=CRC32C
 */
record SessionParams(int sendDataSegment, int recvDataSegment, int maxBurst, int firstBurst, boolean immediateData,
                     boolean initialR2T, boolean headerDigest, boolean dataDigest) {
    /** The target's MaxRecvDataSegmentLength. */
    static final int TARGET_RECV_DATA_SEGMENT = 256 << 10;
    /** The largest MaxBurstLength the target agrees to. */
    static final int TARGET_MAX_BURST = 16 << 20;
    /** The data segment length accepted during login (before negotiation). */
    static final int LOGIN_DATA_SEGMENT = 64 << 10;

    /** The RFC defaults (what applies when nothing was negotiated). */
    static SessionParams defaults() {
        return new SessionParams(8192, TARGET_RECV_DATA_SEGMENT, 262144, 65536, true, true, false, false);
    }
}
