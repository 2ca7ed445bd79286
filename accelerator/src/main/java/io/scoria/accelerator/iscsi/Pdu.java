package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * One received iSCSI PDU (RFC 7143 section 11): its 48-byte basic header segment, its additional
 * header segments and its data segment without padding or digests. Field accessors read the
 * big-endian header in place.
 *
 * <p>Buffers: the PDU owns {@code data} (a retained slice of the decoder's buffer, or an empty
 * buffer); whoever consumes the PDU calls {@link #release()} once. Not thread-safe; used on the
 * connection's event loop.
 */
final class Pdu {
    static final int BHS = 48;

    // initiator opcodes
    static final int NOP_OUT = 0x00;
    static final int SCSI_COMMAND = 0x01;
    static final int TASK_MGMT = 0x02;
    static final int LOGIN = 0x03;
    static final int TEXT = 0x04;
    static final int DATA_OUT = 0x05;
    static final int LOGOUT = 0x06;
    static final int SNACK = 0x10;
    // target opcodes
    static final int NOP_IN = 0x20;
    static final int SCSI_RESPONSE = 0x21;
    static final int TASK_MGMT_RESPONSE = 0x22;
    static final int LOGIN_RESPONSE = 0x23;
    static final int TEXT_RESPONSE = 0x24;
    static final int DATA_IN = 0x25;
    static final int LOGOUT_RESPONSE = 0x26;
    static final int R2T = 0x31;
    static final int ASYNC = 0x32;
    static final int REJECT = 0x3f;

    static final int RESERVED_TAG = 0xffffffff;

    private final byte[] bhs;
    private final byte[] ahs;
    private ByteBuf data;

    Pdu(byte[] bhs, byte[] ahs, ByteBuf data) {
        this.bhs = bhs;
        this.ahs = ahs;
        this.data = data;
    }

    /** A PDU from a header alone (tests and the fuzzer build PDUs this way). */
    static Pdu of(byte[] bhs) {
        return new Pdu(bhs, new byte[0], Unpooled.EMPTY_BUFFER);
    }

    int opcode() {
        return bhs[0] & 0x3f;
    }

    boolean immediate() {
        return (bhs[0] & 0x40) != 0;
    }

    /** Byte 1: the F bit and the opcode's flags. */
    int flags() {
        return bhs[1] & 0xff;
    }

    boolean finalBit() {
        return (bhs[1] & 0x80) != 0;
    }

    int byteAt(int i) {
        return bhs[i] & 0xff;
    }

    int int32(int off) {
        return ((bhs[off] & 0xff) << 24) | ((bhs[off + 1] & 0xff) << 16) | ((bhs[off + 2] & 0xff) << 8)
                | (bhs[off + 3] & 0xff);
    }

    long uint32(int off) {
        return int32(off) & 0xffffffffL;
    }

    long int64(int off) {
        return ((long) int32(off) << 32) | uint32(off + 4);
    }

    int dataSegmentLength() {
        return ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
    }

    long lun() {
        return int64(8);
    }

    int itt() {
        return int32(16);
    }

    /** CmdSN of initiator requests that carry one (bytes 24-27). */
    int cmdSn() {
        return int32(24);
    }

    /** ExpStatSN of initiator requests (bytes 28-31). */
    int expStatSn() {
        return int32(28);
    }

    /** The operation code of a SCSI Command's CDB (its first byte), without copying the CDB. */
    int cdbOpcode() {
        return bhs[32] & 0xff;
    }

    /** The 16-byte CDB of a SCSI Command, extended by an AHS of type 1 if there is one. */
    byte[] cdb() {
        byte[] base = java.util.Arrays.copyOfRange(bhs, 32, 48);
        int i = 0;
        while (i + 4 <= ahs.length) {
            int len = ((ahs[i] & 0xff) << 8) | (ahs[i + 1] & 0xff);
            int type = ahs[i + 2] & 0xff;
            if (type == 1 && len >= 1 && i + 3 + len <= ahs.length) {
                byte[] cdb = new byte[16 + len - 1];
                System.arraycopy(base, 0, cdb, 0, 16);
                System.arraycopy(ahs, i + 4, cdb, 16, len - 1);
                return cdb;
            }
            i += (3 + len + 3) & ~3;
        }
        return base;
    }

    /** A copy of the basic header segment (for Reject PDUs). */
    byte[] header() {
        return bhs.clone();
    }

    ByteBuf data() {
        return data;
    }

    void release() {
        if (data != null) {
            data.release();
            data = null;
        }
    }

    @Override
    public String toString() {
        return "PDU 0x" + Integer.toHexString(opcode()) + " itt 0x" + Integer.toHexString(itt()) + " data "
                + dataSegmentLength();
    }
}
