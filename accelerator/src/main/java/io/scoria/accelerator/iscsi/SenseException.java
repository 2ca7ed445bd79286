package io.scoria.accelerator.iscsi;

/**
 * A SCSI command that ends in CHECK CONDITION with fixed-format sense data (SPC-4 section 4.5.3):
 * sense key, additional sense code and qualifier, and for MISCOMPARE the offset of the first
 * differing byte in the information field. Thrown by the SCSI layer; the connection turns it into
 * a SCSI Response.
 */
final class SenseException extends RuntimeException {
    static final int NO_SENSE = 0x00;
    static final int NOT_READY = 0x02;
    static final int MEDIUM_ERROR = 0x03;
    static final int HARDWARE_ERROR = 0x04;
    static final int ILLEGAL_REQUEST = 0x05;
    static final int UNIT_ATTENTION = 0x06;
    static final int DATA_PROTECT = 0x07;
    static final int ABORTED_COMMAND = 0x0b;
    static final int MISCOMPARE = 0x0e;

    private final int key;
    private final int asc;
    private final int ascq;
    private final long information; // -1: none

    SenseException(int key, int asc, int ascq, long information, String message) {
        super(message, null, false, false);
        this.key = key;
        this.asc = asc;
        this.ascq = ascq;
        this.information = information;
    }

    static SenseException invalidOpcode(int opcode) {
        return new SenseException(ILLEGAL_REQUEST, 0x20, 0x00, -1, "invalid command operation code 0x"
                + Integer.toHexString(opcode));
    }

    static SenseException invalidField(String what) {
        return new SenseException(ILLEGAL_REQUEST, 0x24, 0x00, -1, "invalid field in CDB: " + what);
    }

    static SenseException invalidParameter(String what) {
        return new SenseException(ILLEGAL_REQUEST, 0x26, 0x00, -1, "invalid field in parameter list: " + what);
    }

    static SenseException parameterLength(String what) {
        return new SenseException(ILLEGAL_REQUEST, 0x1a, 0x00, -1, "parameter list length error: " + what);
    }

    /** ILLEGAL REQUEST with an additional sense code (qualifier 0). */
    static SenseException new0(int asc, String message) {
        return new SenseException(ILLEGAL_REQUEST, asc, 0x00, -1, message);
    }

    static SenseException lbaOutOfRange() {
        return new SenseException(ILLEGAL_REQUEST, 0x21, 0x00, -1, "logical block address out of range");
    }

    static SenseException lunNotSupported() {
        return new SenseException(ILLEGAL_REQUEST, 0x25, 0x00, -1, "logical unit not supported");
    }

    static SenseException writeProtected() {
        return new SenseException(DATA_PROTECT, 0x27, 0x00, -1, "write protected");
    }

    static SenseException miscompare(long offset) {
        return new SenseException(MISCOMPARE, 0x1d, 0x00, offset, "miscompare during verify at byte " + offset);
    }

    static SenseException internalFailure() {
        return new SenseException(HARDWARE_ERROR, 0x44, 0x00, -1, "internal target failure");
    }

    static SenseException noSpace() {
        return new SenseException(DATA_PROTECT, 0x27, 0x07, -1, "space allocation failed write protect");
    }

    int key() {
        return key;
    }

    int asc() {
        return asc;
    }

    /** Fixed-format sense data, 18 bytes. */
    byte[] senseData() {
        return fixed(key, asc, ascq, information);
    }

    static byte[] fixed(int key, int asc, int ascq, long information) {
        byte[] s = new byte[18];
        s[0] = (byte) (information >= 0 ? 0xf0 : 0x70);
        s[2] = (byte) key;
        if (information >= 0) {
            s[3] = (byte) (information >>> 24);
            s[4] = (byte) (information >>> 16);
            s[5] = (byte) (information >>> 8);
            s[6] = (byte) information;
        }
        s[7] = 10;
        s[12] = (byte) asc;
        s[13] = (byte) ascq;
        return s;
    }
}
