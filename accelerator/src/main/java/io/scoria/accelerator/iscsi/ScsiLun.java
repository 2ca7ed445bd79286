package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LUN 0 of one target: a {@link Volume} as a SCSI direct-access block device (SBC-3, SPC-4).
 * Decodes a CDB and runs it: the block commands in {@link BlockCommands}, INQUIRY in
 * {@link InquiryData}, MODE SENSE/SELECT and REPORT SUPPORTED OPERATION CODES in {@link CommandPages},
 * PERSISTENT RESERVE IN/OUT in {@link ReservationCommands} (a reservation held by another nexus
 * answers RESERVATION CONFLICT); unknown commands end in CHECK CONDITION, ILLEGAL REQUEST, INVALID
 * COMMAND OPERATION CODE.
 *
 * <p>Threads: {@link #execute} runs on the target's worker threads, many at once; the volume is
 * thread-safe and COMPARE AND WRITE excludes writes through {@link BlockCommands}. Buffers: the
 * caller keeps ownership of the Data-Out buffer; the result's Data-In buffer passes to the caller.
 */
final class ScsiLun {
    private static final Logger log = LoggerFactory.getLogger(ScsiLun.class);

    static final int TEST_UNIT_READY = 0x00;
    static final int REQUEST_SENSE = 0x03;
    static final int INQUIRY = 0x12;
    static final int MODE_SELECT_6 = 0x15;
    static final int MODE_SELECT_10 = 0x55;
    static final int MODE_SENSE_6 = 0x1a;
    static final int START_STOP_UNIT = 0x1b;
    static final int READ_CAPACITY_10 = 0x25;
    static final int MODE_SENSE_10 = 0x5a;
    static final int SERVICE_ACTION_IN_16 = 0x9e;
    static final int READ_CAPACITY_16 = 0x10;
    static final int GET_LBA_STATUS = 0x12;
    static final int REPORT_LUNS = 0xa0;
    static final int MAINTENANCE_IN = 0xa3;
    static final int REPORT_SUPPORTED_OPCODES = 0x0c;

    private final Volume volume;
    private final int blockSize;
    private final BlockCommands blocks;
    private final InquiryData inquiry;
    private final CommandPages pages;
    private final ReservationCommands reservations;

    ScsiLun(Volume volume, String targetName, int blockSize, int maxTransferBytes, PersistentReservations pr) {
        this.volume = volume;
        this.reservations = new ReservationCommands(pr);
        this.blockSize = blockSize;
        this.blocks = new BlockCommands(volume, blockSize, maxTransferBytes);
        this.inquiry = new InquiryData(volume, targetName, blockSize, maxTransferBytes);
        this.pages = new CommandPages(volume.isReadOnly(), blocks.capacityBlocks(), blockSize);
    }

    Volume volume() {
        return volume;
    }

    int blockSize() {
        return blockSize;
    }

    /**
     * Bytes of buffer {@link #execute} may allocate for this CDB's Data-In (a READ's length, or a
     * small page), so the connection can take them from its budget first.
     */
    long dataInBytes(byte[] cdb) {
        long read = blocks.readBytes(cdb);
        return read >= 0 ? read : 64 << 10;
    }

    /**
     * Runs the command for the I_T nexus {@code nexus} (initiator name and ISID; persistent
     * reservations tell nexuses apart). {@code dataOut} holds what the initiator sent (may be null).
     */
    ScsiResult execute(byte[] cdb, long lun, ByteBuf dataOut, ByteBufAllocator alloc, String nexus) {
        int opcode = Cdb.u8(cdb, 0);
        try {
            if (lun != 0 && opcode != INQUIRY && opcode != REPORT_LUNS && opcode != REQUEST_SENSE) {
                throw SenseException.lunNotSupported();
            }
            if (!reservations.allows(nexus, opcode)) {
                return ScsiResult.reservationConflict();
            }
            if (opcode == ReservationCommands.PERSISTENT_RESERVE_IN) {
                return data(reservations.in(cdb), Cdb.u16(cdb, 7));
            }
            if (opcode == ReservationCommands.PERSISTENT_RESERVE_OUT) {
                reservations.out(cdb, dataOut, nexus);
                return ScsiResult.good();
            }
            return run(cdb, dataOut, alloc);
        } catch (PersistentReservations.Conflict e) {
            return ScsiResult.reservationConflict();
        } catch (SenseException e) {
            return ScsiResult.checkCondition(e);
        } catch (ReadOnlyVolumeException e) {
            return ScsiResult.checkCondition(SenseException.writeProtected());
        } catch (RuntimeException e) {
            log.error("SCSI command 0x{} on {} failed", Integer.toHexString(Cdb.u8(cdb, 0)), volume.name(), e);
            return ScsiResult.checkCondition(SenseException.internalFailure());
        }
    }

    private ScsiResult run(byte[] cdb, ByteBuf dataOut, ByteBufAllocator alloc) {
        int opcode = Cdb.u8(cdb, 0);
        if (blocks.handles(opcode)) {
            return blocks.execute(cdb, dataOut, alloc);
        }
        return switch (opcode) {
            case TEST_UNIT_READY, START_STOP_UNIT -> ScsiResult.good();
            case REQUEST_SENSE -> data(SenseException.fixed(SenseException.NO_SENSE, 0, 0, -1), Cdb.u8(cdb, 4));
            case INQUIRY -> data(inquiry.inquiry(cdb), Cdb.u16(cdb, 3));
            case READ_CAPACITY_10 -> data(readCapacity10(), 8);
            case SERVICE_ACTION_IN_16 -> {
                int action = Cdb.u8(cdb, 1) & 0x1f;
                if (action == GET_LBA_STATUS) {
                    yield data(blocks.lbaStatus(Cdb.u64(cdb, 2)), Cdb.u32(cdb, 10));
                }
                if (action != READ_CAPACITY_16) {
                    throw SenseException.invalidField("service action " + action);
                }
                yield data(readCapacity16(), Cdb.u32(cdb, 10));
            }
            case MODE_SENSE_6 -> data(pages.modeSense(cdb, false), Cdb.u8(cdb, 4));
            case MODE_SENSE_10 -> data(pages.modeSense(cdb, true), Cdb.u16(cdb, 7));
            case MODE_SELECT_6, MODE_SELECT_10 -> {
                pages.modeSelect(cdb, dataOut, opcode == MODE_SELECT_10);
                blocks.writeThrough(!pages.writeCache());
                yield ScsiResult.good();
            }
            case REPORT_LUNS -> {
                long alloc16 = Cdb.u32(cdb, 6);
                if (alloc16 < 16) {
                    throw SenseException.invalidField("REPORT LUNS allocation length " + alloc16);
                }
                byte[] luns = new byte[16];
                Cdb.put32(luns, 0, 8);
                yield data(luns, alloc16);
            }
            case MAINTENANCE_IN -> {
                if ((Cdb.u8(cdb, 1) & 0x1f) != REPORT_SUPPORTED_OPCODES) {
                    throw SenseException.invalidField("service action " + (Cdb.u8(cdb, 1) & 0x1f));
                }
                yield data(pages.supportedOpcodes(cdb), Cdb.u32(cdb, 6));
            }
            default -> throw SenseException.invalidOpcode(opcode);
        };
    }

    private byte[] readCapacity10() {
        byte[] b = new byte[8];
        long last = blocks.capacityBlocks() - 1;
        Cdb.put32(b, 0, Math.min(last, 0xffffffffL));
        Cdb.put32(b, 4, blockSize);
        return b;
    }

    private byte[] readCapacity16() {
        byte[] b = new byte[32];
        Cdb.put64(b, 0, blocks.capacityBlocks() - 1);
        Cdb.put32(b, 8, blockSize);
        int perCluster = Math.max(1, volume.clusterSize() / blockSize);
        b[13] = (byte) Integer.numberOfTrailingZeros(perCluster); // logical blocks per physical block exponent
        b[14] = (byte) 0xc0; // LBPME (thin, UNMAP works) and LBPRZ (unmapped blocks read as zeros)
        return b;
    }

    /** {@code bytes} cut to the allocation length. */
    static ScsiResult data(byte[] bytes, long allocationLength) {
        int n = (int) Math.min(bytes.length, allocationLength);
        return n == 0 ? ScsiResult.good() : ScsiResult.good(Unpooled.wrappedBuffer(bytes, 0, n));
    }
}
