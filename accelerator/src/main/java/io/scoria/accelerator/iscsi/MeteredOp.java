package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.scoria.accelerator.metrics.VolumeMeters;

/**
 * Which of a volume's request meters ({@link VolumeMeters}) a SCSI command counts in, the same
 * operations NBD counts: READ 6/10/12/16 as read; WRITE, WRITE AND VERIFY, WRITE SAME and
 * COMPARE AND WRITE as write (their bytes are the data the initiator sent); SYNCHRONIZE CACHE as
 * flush; UNMAP as trim (its bytes are the blocks its descriptors name). Commands that move no
 * block data (INQUIRY, TEST UNIT READY, MODE SENSE...) are not counted. Stateless.
 */
final class MeteredOp {
    /** Not a block command: not recorded. */
    static final int NONE = -1;

    private static final int UNMAP_HEADER = 8;
    private static final int UNMAP_DESCRIPTOR = 16;

    private MeteredOp() {
    }

    static int of(int opcode) {
        return switch (QosClass.of(opcode)) {
            case QosClass.READ -> VolumeMeters.READ;
            case QosClass.WRITE -> VolumeMeters.WRITE;
            case QosClass.UNMAP -> VolumeMeters.TRIM;
            default -> opcode == 0x35 || opcode == 0x91 ? VolumeMeters.FLUSH : NONE; // SYNCHRONIZE CACHE 10/16
        };
    }

    /**
     * Bytes the block descriptors of an UNMAP parameter list name (SBC-3 section 5.28.2), counting
     * only the descriptors wholly inside {@code list}; 0 for a null or short list. Reads
     * {@code list} without moving its indices.
     */
    static long unmapBytes(ByteBuf list, int blockSize) {
        if (list == null || list.readableBytes() < UNMAP_HEADER) {
            return 0;
        }
        int at = list.readerIndex();
        int descriptors = list.getUnsignedShort(at + 2);
        int end = at + Math.min(list.readableBytes(), UNMAP_HEADER + descriptors);
        long blocks = 0;
        for (int d = at + UNMAP_HEADER; d + UNMAP_DESCRIPTOR <= end; d += UNMAP_DESCRIPTOR) {
            blocks += list.getUnsignedInt(d + 8);
        }
        return blocks * blockSize;
    }
}
