package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * PERSISTENT RESERVE IN (READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL STATUS) and
 * PERSISTENT RESERVE OUT (SPC-4 sections 6.15, 6.16) over a LUN's {@link PersistentReservations},
 * RESERVE(6)/(10) and RELEASE(6)/(10) over its {@link Spc2Reservation}, and which commands a
 * reservation may refuse. Stateless besides the reservations it is given.
 */
final class ReservationCommands {
    static final int PERSISTENT_RESERVE_IN = 0x5e;
    static final int PERSISTENT_RESERVE_OUT = 0x5f;
    static final int RESERVE_6 = 0x16;
    static final int RELEASE_6 = 0x17;
    static final int RESERVE_10 = 0x56;
    static final int RELEASE_10 = 0x57;
    static final int REGISTER_AND_MOVE = 7;
    private static final int ISCSI_PROTOCOL = 5;
    /** The longest TransportID taken: an iSCSI name is at most 223 bytes, plus ",i,0x", the ISID and padding. */
    private static final int MAX_TRANSPORT_ID = 256;
    private static final int TYPES = 0x80 | 0x40 | 0x20 | 0x08 | 0x02; // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX

    private final PersistentReservations state;

    ReservationCommands(PersistentReservations state) {
        this.state = state;
    }

    /** True if a reservation of another nexus may refuse this command (SPC-4 table 67). */
    static boolean checked(int opcode) {
        return switch (opcode) {
            case ScsiLun.INQUIRY, ScsiLun.REPORT_LUNS, ScsiLun.REQUEST_SENSE, ScsiLun.TEST_UNIT_READY,
                    ScsiLun.READ_CAPACITY_10, ScsiLun.SERVICE_ACTION_IN_16, ScsiLun.MAINTENANCE_IN,
                    PERSISTENT_RESERVE_IN, PERSISTENT_RESERVE_OUT -> false;
            default -> true;
        };
    }

    /** True for commands that change the medium or its cache. */
    static boolean writes(int opcode) {
        return switch (opcode) {
            case BlockCommands.WRITE_6, BlockCommands.WRITE_10, BlockCommands.WRITE_12, BlockCommands.WRITE_16,
                    BlockCommands.WRITE_VERIFY_10, BlockCommands.WRITE_VERIFY_16, BlockCommands.WRITE_SAME_10,
                    BlockCommands.WRITE_SAME_16, BlockCommands.UNMAP, BlockCommands.COMPARE_AND_WRITE,
                    BlockCommands.SYNC_CACHE_10, BlockCommands.SYNC_CACHE_16, ScsiLun.START_STOP_UNIT -> true;
            default -> false;
        };
    }

    /**
     * True if {@code nexus} may run {@code opcode} under the LUN's reservations: an SPC-2
     * reservation of another nexus refuses everything but INQUIRY, REPORT LUNS, REQUEST SENSE,
     * READ CAPACITY and RELEASE (persistent reservation commands included); a persistent one
     * refuses by its type (SPC-4 table 67).
     */
    boolean allows(String nexus, int opcode) {
        boolean spc2Free = opcode == RELEASE_6 || opcode == RELEASE_10 || state.legacy().allows(nexus)
                || (!checked(opcode) && opcode != PERSISTENT_RESERVE_IN && opcode != PERSISTENT_RESERVE_OUT);
        return spc2Free && (!checked(opcode) || state.allows(nexus, writes(opcode)));
    }

    /** Handles RESERVE(6)/(10) and RELEASE(6)/(10) for {@code nexus}; false for any other opcode. */
    boolean legacy(byte[] cdb, String nexus) {
        int opcode = Cdb.u8(cdb, 0);
        switch (opcode) {
            case RESERVE_6, RESERVE_10 -> {
                if ((Cdb.u8(cdb, 1) & 0x13) != 0) { // 3rdPty, LongID, Extent: third-party and extent reservations
                    throw SenseException.invalidField("third-party or extent reservation");
                }
                state.legacy().reserve(nexus, state.anyRegistered());
            }
            case RELEASE_6, RELEASE_10 -> {
                if ((Cdb.u8(cdb, 1) & 0x13) != 0) {
                    throw SenseException.invalidField("third-party or extent release");
                }
                state.legacy().release(nexus);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The I_T nexus {@code nexus} is gone: its SPC-2 reservation ends (persistent ones stay). */
    void nexusLost(String nexus) {
        state.legacy().nexusLost(nexus);
    }

    /** LUN RESET or TARGET WARM/COLD RESET: the SPC-2 reservation ends (persistent ones stay). */
    void reset() {
        state.legacy().reset();
    }

    byte[] in(byte[] cdb) {
        int action = Cdb.u8(cdb, 1) & 0x1f;
        return switch (action) {
            case 0 -> {
                var keys = state.registeredKeys();
                byte[] b = new byte[8 + 8 * keys.size()];
                Cdb.put32(b, 0, state.generation());
                Cdb.put32(b, 4, 8L * keys.size());
                for (int i = 0; i < keys.size(); i++) {
                    Cdb.put64(b, 8 + 8 * i, keys.get(i));
                }
                yield b;
            }
            case 1 -> {
                long[] r = state.reservation();
                byte[] b = new byte[r == null ? 8 : 24];
                Cdb.put32(b, 0, state.generation());
                if (r != null) {
                    Cdb.put32(b, 4, 16);
                    Cdb.put64(b, 8, r[0]);
                    b[21] = (byte) r[1];
                }
                yield b;
            }
            case 2 -> {
                byte[] b = new byte[8];
                Cdb.put16(b, 0, 8);
                b[2] = 0x01; // PTPL_C: persist through power loss capable
                b[3] = (byte) (0x80 | 0x01); // TMV, PTPL_A (always persisted)
                b[4] = (byte) TYPES;
                b[5] = 0x01; // EX_AC_AR
                yield b;
            }
            case 3 -> fullStatus();
            default -> throw SenseException.invalidField("PERSISTENT RESERVE IN service action " + action);
        };
    }

    private byte[] fullStatus() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] r = state.reservation();
        for (Map.Entry<String, Long> e : state.registrations().entrySet()) {
            byte[] id = e.getKey().getBytes(StandardCharsets.UTF_8); // "<initiator>,i,0x<ISID>"
            int idLength = (id.length + 1 + 3) & ~3;
            byte[] d = new byte[24 + 4 + idLength];
            Cdb.put64(d, 0, e.getValue());
            if (r != null && state.holds(e.getKey())) {
                d[12] = 0x01; // R_HOLDER
                d[13] = (byte) r[1];
            }
            Cdb.put16(d, 18, 1); // relative target port identifier
            Cdb.put32(d, 20, 4L + idLength);
            d[24] = 0x45; // iSCSI transport id, format 1 (name and ISID)
            Cdb.put16(d, 26, idLength);
            System.arraycopy(id, 0, d, 28, id.length);
            out.writeBytes(d);
        }
        byte[] b = new byte[8 + out.size()];
        Cdb.put32(b, 0, state.generation());
        Cdb.put32(b, 4, out.size());
        System.arraycopy(out.toByteArray(), 0, b, 8, out.size());
        return b;
    }

    /** PERSISTENT RESERVE OUT; a {@link PersistentReservations.Conflict} means RESERVATION CONFLICT. */
    void out(byte[] cdb, ByteBuf dataOut, String nexus) {
        int action = Cdb.u8(cdb, 1) & 0x1f;
        int scope = Cdb.u8(cdb, 2) >> 4;
        int type = Cdb.u8(cdb, 2) & 0x0f;
        long length = Cdb.u32(cdb, 5);
        if (action == REGISTER_AND_MOVE) {
            registerAndMove(length, dataOut, nexus);
            return;
        }
        if (length != 24) {
            throw SenseException.parameterLength("PERSISTENT RESERVE OUT parameter list of " + length + " bytes");
        }
        if (dataOut == null || dataOut.readableBytes() < 24) {
            throw SenseException.parameterLength("PERSISTENT RESERVE OUT without its 24 bytes");
        }
        byte[] p = new byte[24];
        dataOut.getBytes(dataOut.readerIndex(), p);
        long key = Cdb.u64(p, 0);
        long serviceKey = Cdb.u64(p, 8);
        if ((p[20] & 0x0c) != 0) {
            throw SenseException.invalidParameter("SPEC_I_PT / ALL_TG_PT not supported");
        }
        boolean typed = action == 1 || action == 2 || action == 4 || action == 5;
        if (typed && (scope != 0 || !validType(type))) {
            throw SenseException.invalidField("reservation scope " + scope + " type " + type);
        }
        switch (action) {
            case 0 -> state.register(nexus, key, serviceKey, false);
            case 6 -> state.register(nexus, key, serviceKey, true);
            case 1 -> state.reserve(nexus, key, type);
            case 2 -> {
                if (!state.release(nexus, key, type)) {
                    throw new SenseException(SenseException.ILLEGAL_REQUEST, 0x26, 0x04, -1,
                            "invalid release of persistent reservation");
                }
            }
            case 3 -> state.clear(nexus, key);
            case 4, 5 -> {
                try {
                    state.preempt(nexus, key, serviceKey, type);
                } catch (IllegalArgumentException e) {
                    throw SenseException.invalidParameter(e.getMessage());
                }
            }
            default -> throw SenseException.invalidField("PERSISTENT RESERVE OUT service action " + action);
        }
    }

    /**
     * REGISTER AND MOVE (SPC-4 5.13.8, 6.16.4): the holder of the persistent reservation registers another
     * I_T nexus, named by an iSCSI TransportID of the initiator-port form ({@code name,i,0xISID}), with the
     * service action key, and hands it the reservation; with UNREG it unregisters itself. The parameter
     * list is 24 bytes and the TransportID (at most 256 bytes taken). The reservation keeps its scope and
     * type (SPC-4: the CDB's SCOPE and TYPE are not used by this service action).
     */
    private void registerAndMove(long length, ByteBuf dataOut, String nexus) {
        if (length < 24 + 8 || length > 24 + MAX_TRANSPORT_ID || dataOut == null || dataOut.readableBytes() < length) {
            throw SenseException.parameterLength("REGISTER AND MOVE parameter list of " + length + " bytes");
        }
        byte[] p = new byte[(int) length];
        dataOut.getBytes(dataOut.readerIndex(), p);
        long key = Cdb.u64(p, 0);
        long serviceKey = Cdb.u64(p, 8);
        boolean unregister = (p[17] & 0x02) != 0;
        long idLength = Cdb.u32(p, 20);
        if (idLength < 8 || 24 + idLength > length) {
            throw SenseException.invalidParameter("TransportID length " + idLength);
        }
        String destination = iscsiPort(p, 24, (int) idLength);
        if (serviceKey == 0) {
            throw SenseException.invalidParameter("service action reservation key 0");
        }
        if (destination.equals(nexus)) {
            throw SenseException.invalidParameter("the TransportID names the I_T nexus the command came on");
        }
        state.move(nexus, key, serviceKey, destination, unregister);
    }

    /** The I_T nexus an iSCSI TransportID of format 01b names ({@code name,i,0xISID}, as logins name theirs). */
    private static String iscsiPort(byte[] p, int at, int length) {
        int format = (p[at] & 0xc0) >> 6;
        int protocol = p[at] & 0x0f;
        if (protocol != ISCSI_PROTOCOL || format != 1) {
            throw SenseException.invalidParameter("TransportID protocol " + protocol + " format " + format
                    + ": an iSCSI initiator port (protocol 5, format 01b) is needed");
        }
        int additional = ((p[at + 2] & 0xff) << 8) | (p[at + 3] & 0xff);
        int end = at + 4 + Math.min(additional, length - 4);
        int n = at + 4;
        while (n < end && p[n] != 0) {
            n++;
        }
        String port = new String(p, at + 4, n - at - 4, java.nio.charset.StandardCharsets.UTF_8);
        int sep = port.toLowerCase(java.util.Locale.ROOT).indexOf(",i,0x");
        if (sep <= 0 || port.length() != sep + 5 + 12) {
            throw SenseException.invalidParameter("TransportID '" + port + "' is not 'iSCSI name,i,0xISID'");
        }
        return port.substring(0, sep) + ",i,0x" + port.substring(sep + 5).toLowerCase(java.util.Locale.ROOT);
    }

    private static boolean validType(int type) {
        return type == 1 || type == 3 || (type >= 5 && type <= 8);
    }
}
