package io.scoria.accelerator.iscsi;

import java.io.ByteArrayOutputStream;

/**
 * MODE SENSE 6/10 data (SPC-4 section 6.11, pages: caching 0x08 with the write cache enabled, so
 * initiators send SYNCHRONIZE CACHE and FUA; control 0x0A; informational exceptions 0x1C) and
 * REPORT SUPPORTED OPERATION CODES data (SPC-4 section 6.35) of LUN 0. One mode parameter can be
 * changed: the caching page's WCE (an initiator may turn the write cache off, after which every
 * write is durable before its status); MODE SELECT 6/10 otherwise accepts pages equal to the current
 * ones (an initiator that writes back what it read) and refuses any other change, and refuses to
 * save pages (SP=1): a changed WCE holds until the router restarts (current values, SPC-4 6.11).
 *
 * <p>Thread-safe: the one changeable value is volatile; a MODE SELECT checks every page before it
 * applies anything.
 */
final class CommandPages {
    /** Supported commands: opcode, service action (-1: none), CDB length. */
    private static final int[][] COMMANDS = {
            {0x00, -1, 6}, {0x03, -1, 6}, {0x08, -1, 6}, {0x0a, -1, 6}, {0x12, -1, 6}, {0x15, -1, 6}, {0x1a, -1, 6},
            {0x1b, -1, 6}, {0x25, -1, 10}, {0x28, -1, 10}, {0x2a, -1, 10}, {0x2e, -1, 10}, {0x2f, -1, 10},
            {0x35, -1, 10}, {0x41, -1, 10}, {0x42, -1, 10}, {0x55, -1, 10}, {0x5a, -1, 10}, {0x5e, 0x00, 10}, {0x5e, 0x01, 10}, {0x5e, 0x02, 10}, {0x5e, 0x03, 10},
            {0x5f, 0x00, 10}, {0x5f, 0x01, 10}, {0x5f, 0x02, 10}, {0x5f, 0x03, 10}, {0x5f, 0x04, 10},
            {0x5f, 0x05, 10}, {0x5f, 0x06, 10}, {0x5f, 0x07, 10}, {0x88, -1, 16}, {0x89, -1, 16},
            {0x8a, -1, 16}, {0x8e, -1, 16}, {0x8f, -1, 16}, {0x91, -1, 16}, {0x93, -1, 16}, {0x9e, 0x10, 16}, {0x9e, 0x12, 16},
            {0xa0, -1, 12}, {0xa3, 0x0c, 12}, {0xa8, -1, 12}, {0xaa, -1, 12},
    };

    private final boolean readOnly;
    private final long capacityBlocks;
    private final int blockSize;
    private volatile boolean writeCache = true;

    CommandPages(boolean readOnly, long capacityBlocks, int blockSize) {
        this.readOnly = readOnly;
        this.capacityBlocks = capacityBlocks;
        this.blockSize = blockSize;
    }

    byte[] modeSense(byte[] cdb, boolean ten) {
        boolean dbd = (Cdb.u8(cdb, 1) & 0x08) != 0;
        int control = Cdb.u8(cdb, 2) >> 6;
        int page = Cdb.u8(cdb, 2) & 0x3f;
        int subpage = Cdb.u8(cdb, 3);
        if (control == 3) {
            throw SenseException.new0(0x39, "saving parameters not supported");
        }
        if (subpage != 0 && !(page == 0x3f && subpage == 0xff)) {
            throw SenseException.invalidField("mode subpage " + subpage);
        }
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        boolean changeable = control == 1;
        if (page == 0x08 || page == 0x3f) {
            pages.writeBytes(caching(changeable));
        }
        if (page == 0x0a || page == 0x3f) {
            pages.writeBytes(controlPage(changeable));
        }
        if (page == 0x1c || page == 0x3f) {
            byte[] p = new byte[12];
            p[0] = 0x1c;
            p[1] = 0x0a;
            pages.writeBytes(p);
        }
        if (pages.size() == 0) {
            throw SenseException.invalidField("mode page 0x" + Integer.toHexString(page));
        }
        byte[] descriptor = dbd ? new byte[0] : blockDescriptor();
        int header = ten ? 8 : 4;
        byte[] out = new byte[header + descriptor.length + pages.size()];
        int deviceSpecific = (readOnly ? 0x80 : 0) | 0x10; // WP, DPOFUA
        if (ten) {
            Cdb.put16(out, 0, out.length - 2);
            out[3] = (byte) deviceSpecific;
            Cdb.put16(out, 6, descriptor.length);
        } else {
            out[0] = (byte) (out.length - 1);
            out[2] = (byte) deviceSpecific;
            out[3] = (byte) descriptor.length;
        }
        System.arraycopy(descriptor, 0, out, header, descriptor.length);
        System.arraycopy(pages.toByteArray(), 0, out, header + descriptor.length, pages.size());
        return out;
    }

    /** Whether the write cache is enabled (WCE of the caching page). */
    boolean writeCache() {
        return writeCache;
    }

    /**
     * MODE SELECT 6/10: the parameter list must repeat the current block length and pages, except
     * the caching page's WCE bit, which is applied once every page checked.
     */
    void modeSelect(byte[] cdb, io.netty.buffer.ByteBuf dataOut, boolean ten) {
        if ((Cdb.u8(cdb, 1) & 0x01) != 0) {
            throw SenseException.invalidField("MODE SELECT with SP (saved pages are not supported)");
        }
        int length = ten ? Cdb.u16(cdb, 7) : Cdb.u8(cdb, 4);
        if (length == 0) {
            return;
        }
        if (dataOut == null || dataOut.readableBytes() < length) {
            throw SenseException.parameterLength("MODE SELECT parameter list of " + length + " bytes");
        }
        byte[] p = new byte[length];
        dataOut.getBytes(dataOut.readerIndex(), p);
        int header = ten ? 8 : 4;
        int descriptors = ten ? Cdb.u16(p, 6) : Cdb.u8(p, 3);
        if (length < header + descriptors) {
            throw SenseException.parameterLength("MODE SELECT block descriptors past the parameter list");
        }
        for (int d = header; d + 8 <= header + descriptors; d += 8) {
            if ((Cdb.u32(p, d + 4) & 0xffffff) != blockSize) {
                throw SenseException.invalidParameter("block length " + (Cdb.u32(p, d + 4) & 0xffffff));
            }
        }
        byte[] current;
        Boolean newWriteCache = null;
        for (int at = header + descriptors; at + 2 <= length; ) {
            int code = p[at] & 0x3f;
            int pageLength = (p[at + 1] & 0xff) + 2;
            if (code == 0x08 && at + 3 <= length) {
                newWriteCache = (p[at + 2] & 0x04) != 0;
                p[at + 2] = (byte) ((p[at + 2] & ~0x04) | (writeCache ? 0x04 : 0)); // compare the rest
            }
            current = switch (code) {
                case 0x08 -> caching(false);
                case 0x0a -> controlPage(false);
                case 0x1c -> new byte[]{0x1c, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
                default -> throw SenseException.invalidParameter("mode page 0x" + Integer.toHexString(code));
            };
            if (at + pageLength > length || pageLength != current.length
                    || !java.util.Arrays.equals(p, at + 1, at + pageLength, current, 1, current.length)) {
                throw SenseException.invalidParameter("mode page 0x" + Integer.toHexString(code)
                        + " differs from the current values (only the caching page's WCE can be changed)");
            }
            at += pageLength;
        }
        if (newWriteCache != null) {
            writeCache = newWriteCache;
        }
    }

    private byte[] blockDescriptor() {
        byte[] d = new byte[8];
        Cdb.put32(d, 0, Math.min(capacityBlocks, 0xffffffL));
        d[0] = 0; // density code
        Cdb.put32(d, 4, blockSize);
        d[4] = 0;
        return d;
    }

    /** The caching page: its current values, or (changeable) the mask of what MODE SELECT may change. */
    private byte[] caching(boolean changeable) {
        byte[] p = new byte[20];
        p[0] = 0x08;
        p[1] = 0x12;
        if (changeable || writeCache) {
            p[2] = 0x04; // WCE
        }
        return p;
    }

    private static byte[] controlPage(boolean changeable) {
        byte[] p = new byte[12];
        p[0] = 0x0a;
        p[1] = 0x0a;
        if (!changeable) {
            p[3] = 0x10; // queue algorithm modifier 1: unrestricted reordering
            Cdb.put16(p, 8, 0xffff); // busy timeout period: unlimited
        }
        return p;
    }

    byte[] supportedOpcodes(byte[] cdb) {
        int options = Cdb.u8(cdb, 2) & 0x07;
        boolean timeouts = (Cdb.u8(cdb, 2) & 0x80) != 0;
        int opcode = Cdb.u8(cdb, 3);
        int serviceAction = Cdb.u16(cdb, 4);
        int timeoutBytes = timeouts ? 12 : 0;
        if (options == 0) {
            ByteArrayOutputStream list = new ByteArrayOutputStream();
            for (int[] c : COMMANDS) {
                byte[] d = new byte[8 + timeoutBytes];
                d[0] = (byte) c[0];
                Cdb.put16(d, 2, Math.max(0, c[1]));
                d[5] = (byte) ((c[1] >= 0 ? 0x01 : 0) | (timeouts ? 0x02 : 0));
                Cdb.put16(d, 6, c[2]);
                if (timeouts) {
                    Cdb.put16(d, 8, 10);
                }
                list.writeBytes(d);
            }
            byte[] out = new byte[4 + list.size()];
            Cdb.put32(out, 0, list.size());
            System.arraycopy(list.toByteArray(), 0, out, 4, list.size());
            return out;
        }
        if (options > 3) {
            throw SenseException.invalidField("reporting options " + options);
        }
        int[] found = null;
        for (int[] c : COMMANDS) {
            if (c[0] == opcode && (found == null || c[1] == serviceAction)) {
                found = c;
            }
        }
        if (found != null && ((options == 1 && found[1] >= 0) || (options == 2 && found[1] < 0))) {
            throw SenseException.invalidField("reporting options " + options + " for opcode " + opcode);
        }
        boolean supported = found != null && (found[1] < 0 || found[1] == serviceAction);
        int length = supported ? found[2] : 0;
        byte[] out = new byte[4 + length + timeoutBytes];
        out[1] = (byte) ((supported ? 0x03 : 0x01) | (timeouts ? 0x80 : 0));
        Cdb.put16(out, 2, length);
        if (supported) {
            out[4] = (byte) opcode;
            for (int i = 1; i < length - 1; i++) {
                out[4 + i] = (byte) 0xff;
            }
            if (found[1] >= 0) {
                out[5] = (byte) (0xe0 | found[1]);
            }
            out[4 + length - 1] = 0x07; // control byte: NACA, flag, link bits
            if (timeouts) {
                Cdb.put16(out, 4 + length, 10);
            }
        }
        return out;
    }
}
