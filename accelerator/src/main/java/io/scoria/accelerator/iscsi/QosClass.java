package io.scoria.accelerator.iscsi;

/**
 * What a SCSI command counts as for the volume's QoS caps: a READ, a WRITE (also WRITE AND
 * VERIFY, WRITE SAME, COMPARE AND WRITE, whose bytes are the data the initiator sends), an UNMAP (a
 * write operation with no bytes), or nothing (commands that move no block data). Stateless.
 */
final class QosClass {
    static final int NONE = 0;
    static final int READ = 1;
    static final int WRITE = 2;
    static final int UNMAP = 3;

    private QosClass() {
    }

    static int of(int opcode) {
        return switch (opcode) {
            case 0x08, 0x28, 0xa8, 0x88 -> READ;                       // READ 6/10/12/16
            case 0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0x8e, 0x41, 0x93, 0x89 -> WRITE; // WRITE 6/10/12/16, WRITE AND VERIFY 10/16, WRITE SAME 10/16, COMPARE AND WRITE
            case 0x42 -> UNMAP;
            default -> NONE;
        };
    }
}
