package io.scoria.accelerator.iscsi;

import io.scoria.accelerator.Volume;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * INQUIRY data of LUN 0 (SPC-4 section 6.6, SBC-3 section 6.6): the standard data and the vital
 * product data pages 0x00 (supported pages), 0x80 (unit serial number), 0x83 (device
 * identification: NAA IEEE registered extended, T10 vendor id, SCSI name string of the target),
 * 0xB0 (block limits), 0xB1 (block device characteristics: non-rotating) and 0xB2 (logical block
 * provisioning: thin, UNMAP and WRITE SAME with UNMAP, unmapped blocks read as zeros). The
 * identifiers derive from the volume's name, so they stay the same across restarts. Immutable.
 */
final class InquiryData {
    static final String VENDOR = "SCORIA  ";
    static final String PRODUCT = "VOLUME          ";
    private static final int[] PAGES = {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};

    private final String serial;
    private final byte[] naa;
    private final String targetName;
    private final int blockSize;
    private final int maxTransferBytes;
    private final int clusterBlocks;

    InquiryData(Volume volume, String targetName, int blockSize, int maxTransferBytes) {
        UUID id = UUID.nameUUIDFromBytes(("scoria-volume:" + volume.name()).getBytes(StandardCharsets.UTF_8));
        this.serial = id.toString().replace("-", "");
        this.naa = new byte[16];
        Cdb.put64(naa, 0, id.getMostSignificantBits());
        Cdb.put64(naa, 8, id.getLeastSignificantBits());
        naa[0] = (byte) (0x60 | (naa[0] & 0x0f)); // NAA 6: IEEE registered extended
        this.targetName = targetName;
        this.blockSize = blockSize;
        this.maxTransferBytes = maxTransferBytes;
        this.clusterBlocks = Math.max(1, volume.clusterSize() / blockSize);
    }

    byte[] inquiry(byte[] cdb) {
        boolean evpd = (Cdb.u8(cdb, 1) & 0x01) != 0;
        int page = Cdb.u8(cdb, 2);
        if ((Cdb.u8(cdb, 1) & 0x02) != 0) {
            throw SenseException.invalidField("CMDDT");
        }
        if (!evpd) {
            if (page != 0) {
                throw SenseException.invalidField("page code without EVPD");
            }
            return standard();
        }
        return switch (page) {
            case 0x00 -> supportedPages();
            case 0x80 -> page(0x80, serial.getBytes(StandardCharsets.US_ASCII));
            case 0x83 -> page(0x83, identification());
            case 0xb0 -> page(0xb0, blockLimits());
            case 0xb1 -> page(0xb1, characteristics());
            case 0xb2 -> page(0xb2, provisioning());
            default -> throw SenseException.invalidField("VPD page 0x" + Integer.toHexString(page));
        };
    }

    private byte[] standard() {
        byte[] b = new byte[66];
        b[0] = 0x00; // connected direct-access block device
        b[2] = 0x06; // SPC-4
        b[3] = 0x12; // HISUP, response data format 2
        b[4] = (byte) (b.length - 5);
        b[7] = 0x02; // CMDQUE
        ascii(b, 8, VENDOR);
        ascii(b, 16, PRODUCT);
        ascii(b, 32, "1.0 ");
        int[] versions = {0x00a0, 0x0960, 0x0460, 0x04c0}; // SAM-5, iSCSI, SPC-4, SBC-3
        for (int i = 0; i < versions.length; i++) {
            Cdb.put16(b, 58 + 2 * i, versions[i]);
        }
        return b;
    }

    private static void ascii(byte[] b, int at, String s) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, b, at, a.length);
    }

    private static byte[] supportedPages() {
        byte[] list = new byte[PAGES.length];
        for (int i = 0; i < PAGES.length; i++) {
            list[i] = (byte) PAGES[i];
        }
        return page(0x00, list);
    }

    private static byte[] page(int code, byte[] body) {
        byte[] b = new byte[4 + body.length];
        b[1] = (byte) code;
        Cdb.put16(b, 2, body.length);
        System.arraycopy(body, 0, b, 4, body.length);
        return b;
    }

    private byte[] identification() {
        byte[] t10 = (VENDOR + serial).getBytes(StandardCharsets.US_ASCII);
        byte[] name = nulPadded(targetName);
        byte[] out = new byte[(4 + naa.length) + (4 + t10.length) + (4 + name.length)];
        int at = designator(out, 0, 0x01, 0x03, 0x00, naa); // binary, NAA, logical unit
        at = designator(out, at, 0x02, 0x01, 0x00, t10); // ASCII, T10 vendor id, logical unit
        designator(out, at, 0x53, 0x08, 0xa0, name); // iSCSI UTF-8, SCSI name string, target device (PIV)
        return out;
    }

    private static byte[] nulPadded(String s) {
        byte[] a = s.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[(a.length + 1 + 3) & ~3];
        System.arraycopy(a, 0, b, 0, a.length);
        return b;
    }

    private static int designator(byte[] out, int at, int codeSet, int type, int association, byte[] id) {
        out[at] = (byte) codeSet;
        out[at + 1] = (byte) (association | type);
        out[at + 3] = (byte) id.length;
        System.arraycopy(id, 0, out, at + 4, id.length);
        return at + 4 + id.length;
    }

    private byte[] blockLimits() {
        byte[] b = new byte[0x3c];
        b[0] = 0x01; // WSNZ: WRITE SAME of zero blocks is refused
        b[1] = (byte) BlockCommands.MAX_COMPARE_AND_WRITE;
        Cdb.put16(b, 2, clusterBlocks); // optimal transfer length granularity
        Cdb.put32(b, 4, maxTransferBytes / blockSize); // maximum transfer length
        Cdb.put32(b, 8, Math.min(maxTransferBytes, 1 << 20) / blockSize); // optimal transfer length
        Cdb.put32(b, 16, 0xffffffffL); // maximum unmap LBA count
        Cdb.put32(b, 20, BlockCommands.MAX_UNMAP_DESCRIPTORS);
        Cdb.put32(b, 24, clusterBlocks); // optimal unmap granularity
        Cdb.put64(b, 32, BlockCommands.MAX_WRITE_SAME_BYTES / blockSize);
        return b;
    }

    private static byte[] characteristics() {
        byte[] b = new byte[0x3c];
        Cdb.put16(b, 0, 1); // non-rotating medium
        return b;
    }

    private static byte[] provisioning() {
        byte[] b = new byte[4];
        b[1] = (byte) 0xe4; // LBPU, LBPWS, LBPWS10, LBPRZ
        b[2] = 0x02; // thin provisioned
        return b;
    }
}
