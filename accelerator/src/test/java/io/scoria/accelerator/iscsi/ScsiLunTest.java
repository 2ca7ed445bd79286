package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.scoria.accelerator.testing.InMemoryVolume;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** SCSI commands of {@link ScsiLun} against an in-memory volume. */
class ScsiLunTest {
    static final long SIZE = 16L << 20;
    static final String NEXUS = "iqn.2026-12.io.scoria.test:client,i,0x400000000001";
    final InMemoryVolume volume = new InMemoryVolume("vm1", SIZE, 4096);
    final ScsiLun lun = new ScsiLun(volume, "iqn.2026-12.io.scoria:vm1", 512, 8 << 20, new PersistentReservations(null));

    ScsiResult run(byte[] cdb, byte[] dataOut) {
        ByteBuf out = dataOut == null ? null : Unpooled.wrappedBuffer(dataOut);
        return lun.execute(cdb, 0, out, ByteBufAllocator.DEFAULT, NEXUS);
    }

    byte[] data(ScsiResult r) {
        assertEquals(ScsiResult.GOOD, r.status(), () -> "sense " + Arrays.toString(r.sense()));
        if (r.data() == null) {
            return new byte[0];
        }
        byte[] b = new byte[r.data().readableBytes()];
        r.data().readBytes(b);
        r.release();
        return b;
    }

    static byte[] cdb(int... bytes) {
        byte[] c = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            c[i] = (byte) bytes[i];
        }
        return c;
    }

    void assertSense(ScsiResult r, int key, int asc) {
        assertEquals(ScsiResult.CHECK_CONDITION, r.status());
        assertEquals(key, r.sense()[2] & 0x0f);
        assertEquals(asc, r.sense()[12] & 0xff);
    }

    @Test
    void inquiryAndVitalProductData() {
        byte[] std = data(run(cdb(0x12, 0, 0, 0, 96, 0), null));
        assertEquals(0x00, std[0]);
        assertEquals("SCORIA  ", new String(std, 8, 8, StandardCharsets.US_ASCII));
        byte[] pages = data(run(cdb(0x12, 1, 0x00, 0, 255, 0), null));
        assertArrayEquals(new byte[]{0, (byte) 0x80, (byte) 0x83, (byte) 0xb0, (byte) 0xb1, (byte) 0xb2},
                Arrays.copyOfRange(pages, 4, 10));
        byte[] serial = data(run(cdb(0x12, 1, 0x80, 0, 255, 0), null));
        assertEquals(32, serial[3]);
        byte[] ids = data(run(cdb(0x12, 1, 0x83, 0, 255, 0), null));
        assertEquals(0x03, ids[5] & 0x0f, "first designator: NAA");
        assertEquals(0x6, (ids[8] & 0xf0) >> 4, "NAA 6");
        assertTrue(new String(ids, StandardCharsets.UTF_8).contains("iqn.2026-12.io.scoria:vm1"));
        byte[] again = data(new ScsiLun(volume, "iqn.2026-12.io.scoria:vm1", 512, 8 << 20, new PersistentReservations(null))
                .execute(cdb(0x12, 1, 0x83, 0, 255, 0), 0, null, ByteBufAllocator.DEFAULT, NEXUS));
        assertArrayEquals(ids, again, "identifiers are stable");
        byte[] limits = data(run(cdb(0x12, 1, 0xb0, 0, 255, 0), null));
        assertEquals((8 << 20) / 512, ByteBuffer.wrap(limits).getInt(8), "maximum transfer length");
        byte[] lbp = data(run(cdb(0x12, 1, 0xb2, 0, 255, 0), null));
        assertEquals(0xe4, lbp[5] & 0xff);
        assertSense(run(cdb(0x12, 1, 0x42, 0, 255, 0), null), SenseException.ILLEGAL_REQUEST, 0x24);
        assertEquals(36, data(run(cdb(0x12, 0, 0, 0, 36, 0), null)).length, "cut to the allocation length");
    }

    @Test
    void readCapacityAndReportLuns() {
        byte[] c10 = data(run(cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0), null));
        assertEquals(SIZE / 512 - 1, ByteBuffer.wrap(c10).getInt(0));
        byte[] c16 = data(run(cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), null));
        assertEquals(SIZE / 512 - 1, ByteBuffer.wrap(c16).getLong(0));
        assertEquals(0x80, c16[14] & 0x80, "LBPME");
        assertEquals(3, c16[13], "8 logical blocks per 4 KiB cluster");
        byte[] luns = data(run(cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0), null));
        assertEquals(8, ByteBuffer.wrap(luns).getInt(0));
    }

    @Test
    void writeReadFuaUnmapWriteSame() {
        byte[] d = new byte[4096];
        Arrays.fill(d, (byte) 7);
        data(run(IscsiTestClient.cdb16(BlockCommands.WRITE_16, 8, 8, 0x08), d));
        assertArrayEquals(d, data(run(IscsiTestClient.cdb16(BlockCommands.READ_16, 8, 8, 0), null)));
        byte[] ten = cdb(0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0);
        assertArrayEquals(d, data(run(ten, null)));
        byte[] six = cdb(0x08, 0, 0, 8, 8, 0);
        assertArrayEquals(d, data(run(six, null)));
        byte[] unmap = new byte[24];
        ByteBuffer.wrap(unmap).putShort(0, (short) 22).putShort(2, (short) 16).putLong(8, 8).putInt(16, 4);
        data(run(cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0), unmap));
        byte[] after = data(run(IscsiTestClient.cdb16(BlockCommands.READ_16, 8, 8, 0), null));
        assertArrayEquals(new byte[2048], Arrays.copyOf(after, 2048));
        byte[] block = new byte[512];
        Arrays.fill(block, (byte) 0x5a);
        data(run(cdb(0x41, 0, 0, 0, 0, 100, 0, 0, 3, 0), block));
        byte[] same = data(run(IscsiTestClient.cdb16(BlockCommands.READ_16, 100, 3, 0), null));
        for (byte b : same) {
            assertEquals(0x5a, b);
        }
        data(run(cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0), null));
        assertSense(run(IscsiTestClient.cdb16(BlockCommands.READ_16, SIZE / 512, 1, 0), null),
                SenseException.ILLEGAL_REQUEST, 0x21);
    }

    @Test
    void compareAndWriteWritesOnlyOnAMatch() {
        byte[] old = new byte[512];
        byte[] both = new byte[1024];
        Arrays.fill(both, 512, 1024, (byte) 1);
        byte[] caw = IscsiTestClient.cdb16(BlockCommands.COMPARE_AND_WRITE, 5, 0, 0);
        caw[13] = 1;
        data(run(caw, both));
        byte[] now = data(run(IscsiTestClient.cdb16(BlockCommands.READ_16, 5, 1, 0), null));
        assertArrayEquals(Arrays.copyOfRange(both, 512, 1024), now);
        ScsiResult miss = run(caw, both); // the block is no longer zeros
        assertSense(miss, SenseException.MISCOMPARE, 0x1d);
        assertEquals(0, ByteBuffer.wrap(miss.sense()).getInt(3), "offset of the first differing byte");
        assertArrayEquals(now, data(run(IscsiTestClient.cdb16(BlockCommands.READ_16, 5, 1, 0), null)));
        assertNotNull(old);
    }

    @Test
    void modeSenseAndSupportedOpcodes() {
        byte[] ms = data(run(cdb(0x1a, 0, 0x3f, 0, 255, 0), null));
        assertEquals(ms.length - 1, ms[0] & 0xff);
        assertEquals(8, ms[3], "block descriptor");
        assertEquals(0x08, ms[12] & 0x3f, "caching page first");
        assertEquals(0x04, ms[14] & 0x04, "WCE");
        byte[] ms10 = data(run(cdb(0x5a, 0x08, 0x0a, 0, 0, 0, 0, 0, 255, 0), null));
        assertEquals(0x0a, ms10[8] & 0x3f, "control page, no block descriptor");
        byte[] all = data(run(cdb(0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0), null));
        assertTrue(ByteBuffer.wrap(all).getInt(0) >= 20 * 8);
        byte[] one = data(run(cdb(0xa3, 0x0c, 1, 0x28, 0, 0, 0, 0, 1, 0, 0, 0), null));
        assertEquals(3, one[1] & 0x07, "READ 10 supported");
        assertEquals(10, ByteBuffer.wrap(one).getShort(2));
        assertSense(run(cdb(0xc0, 0, 0, 0, 0, 0), null), SenseException.ILLEGAL_REQUEST, 0x20);
        byte[] sense = data(run(cdb(0x03, 0, 0, 0, 18, 0), null));
        assertEquals(0x70, sense[0] & 0x7f);
    }

    @Test
    void modeSelectTakesBackTheCurrentPagesAndRefusesChangesButWce() {
        byte[] current = data(run(cdb(0x1a, 0, 0x08, 0, 255, 0), null));
        current[0] = 0; // mode data length is reserved in MODE SELECT
        data(run(cdb(0x15, 0x10, 0, 0, current.length, 0), current));
        byte[] changed = current.clone();
        changed[4 + 8 + 2] |= 0x01; // RCD: not changeable
        assertSense(run(cdb(0x15, 0x10, 0, 0, changed.length, 0), changed), SenseException.ILLEGAL_REQUEST, 0x26);
        byte[] saved = current.clone();
        assertSense(run(cdb(0x15, 0x11, 0, 0, saved.length, 0), saved), SenseException.ILLEGAL_REQUEST, 0x24);
        byte[] ten = data(run(cdb(0x5a, 0, 0x0a, 0, 0, 0, 0, 0, 255, 0), null));
        data(run(cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, ten.length, 0), ten));
        byte[] mask = data(run(cdb(0x1a, 0x08, 0x48, 0, 255, 0), null)); // changeable values of the caching page
        assertEquals(0x04, mask[4 + 2] & 0xff, "only WCE is changeable");
    }

    @Test
    void turningTheWriteCacheOffMakesEveryWriteDurableBeforeItsStatus() {
        byte[] page = data(run(cdb(0x1a, 0x08, 0x08, 0, 255, 0), null));
        assertEquals(0x04, page[4 + 2] & 0x04, "write cache on by default");
        run(IscsiTestClient.cdb16(BlockCommands.WRITE_16, 0, 1, 0), new byte[512]);
        assertEquals(0, volume.fuaWriteCount());

        page[0] = 0;
        page[4 + 2] &= ~0x04; // WCE off
        data(run(cdb(0x15, 0x10, 0, 0, page.length, 0), page));
        assertEquals(0, data(run(cdb(0x1a, 0x08, 0x08, 0, 255, 0), null))[4 + 2] & 0x04, "MODE SENSE shows WCE off");
        run(IscsiTestClient.cdb16(BlockCommands.WRITE_16, 8, 1, 0), new byte[512]);
        assertEquals(1, volume.fuaWriteCount(), "a WRITE without FUA is forced");
        long flushes = volume.flushCount();
        byte[] unmap = new byte[24];
        unmap[1] = 22;
        unmap[3] = 16;
        unmap[8 + 15] = 8; // LBA 0, 8 blocks
        data(run(cdb(0x42, 0, 0, 0, 0, 0, 0, 0, unmap.length, 0), unmap));
        assertEquals(flushes + 1, volume.flushCount(), "UNMAP is made durable too");

        page[4 + 2] |= 0x04; // WCE back on
        data(run(cdb(0x15, 0x10, 0, 0, page.length, 0), page));
        run(IscsiTestClient.cdb16(BlockCommands.WRITE_16, 16, 1, 0), new byte[512]);
        assertEquals(1, volume.fuaWriteCount());
    }

    @Test
    void readOnlyVolumeRefusesWrites() {
        io.scoria.accelerator.testing.InMemoryVolumeService service = new io.scoria.accelerator.testing.InMemoryVolumeService();
        service.create("ro", io.scoria.accelerator.VolumeSpec.ofSize(1 << 20));
        service.makeTemplate("ro");
        io.scoria.accelerator.Volume ro = service.open("ro");
        assertTrue(ro.isReadOnly());
        ScsiLun l = new ScsiLun(ro, "iqn.2026-12.io.scoria:ro", 512, 8 << 20, new PersistentReservations(null));
        ScsiResult r = l.execute(IscsiTestClient.cdb16(BlockCommands.WRITE_16, 0, 1, 0), 0,
                Unpooled.wrappedBuffer(new byte[512]), ByteBufAllocator.DEFAULT, NEXUS);
        assertEquals(SenseException.DATA_PROTECT, r.sense()[2] & 0x0f);
        byte[] ms = data(l.execute(cdb(0x1a, 0, 0x08, 0, 255, 0), 0, null, ByteBufAllocator.DEFAULT, NEXUS));
        assertEquals(0x80, ms[2] & 0x80, "WP in the mode parameter header");
    }

    @Test
    void reserve6HoldsTheLunForOneNexusUntilReleaseNexusLossOrReset() {
        ScsiLun l = new ScsiLun(volume, "iqn.2026-12.io.scoria:vm1", 512, 8 << 20, new PersistentReservations(null));
        byte[] reserve = {0x16, 0, 0, 0, 0, 0};
        byte[] release = {0x17, 0, 0, 0, 0, 0};
        byte[] modeSense = {0x1a, 0, 0x3f, 0, (byte) 255, 0};
        byte[] inquiry = {0x12, 0, 0, 0, 36, 0};
        String a = "iqn.a,i,0x1";
        String b = "iqn.b,i,0x2";
        assertEquals(ScsiResult.GOOD, l.execute(reserve, 0, null, ByteBufAllocator.DEFAULT, a).status());
        assertEquals(ScsiResult.GOOD, l.execute(reserve, 0, null, ByteBufAllocator.DEFAULT, a).status(), "again by its holder");
        assertEquals(ScsiResult.RESERVATION_CONFLICT, l.execute(reserve, 0, null, ByteBufAllocator.DEFAULT, b).status());
        assertEquals(ScsiResult.GOOD, l.execute(release, 0, null, ByteBufAllocator.DEFAULT, b).status(), "RELEASE of a non-holder: a no-op");
        assertEquals(ScsiResult.RESERVATION_CONFLICT, l.execute(modeSense, 0, null, ByteBufAllocator.DEFAULT, b).status());
        assertEquals(ScsiResult.GOOD, l.execute(modeSense, 0, null, ByteBufAllocator.DEFAULT, a).status());
        assertEquals(ScsiResult.GOOD, l.execute(inquiry, 0, null, ByteBufAllocator.DEFAULT, b).status(), "INQUIRY is never refused");
        assertEquals(ScsiResult.RESERVATION_CONFLICT, l.execute(new byte[]{0x5e, 0, 0, 0, 0, 0, 0, 0, 8, 0}, 0, null, ByteBufAllocator.DEFAULT, b).status(),
                "persistent reservation commands conflict with another nexus' RESERVE");
        l.nexusLost(a);
        assertEquals(ScsiResult.GOOD, l.execute(reserve, 0, null, ByteBufAllocator.DEFAULT, b).status(), "the holder's nexus is gone");
        l.reset();
        assertEquals(ScsiResult.GOOD, l.execute(reserve, 0, null, ByteBufAllocator.DEFAULT, a).status(), "a LUN reset ends it");
        assertEquals(ScsiResult.GOOD, l.execute(release, 0, null, ByteBufAllocator.DEFAULT, a).status());
        assertEquals(ScsiResult.GOOD, l.execute(modeSense, 0, null, ByteBufAllocator.DEFAULT, b).status());
        assertEquals(ScsiResult.CHECK_CONDITION, l.execute(new byte[]{0x16, 0x01, 0, 0, 0, 0}, 0, null, ByteBufAllocator.DEFAULT, a).status(),
                "extent reservations are refused");
    }

    private static byte[] proutCdb(int action, int type, int length) {
        return new byte[]{0x5f, (byte) action, (byte) type, 0, 0, (byte) (length >>> 24), (byte) (length >>> 16),
                (byte) (length >>> 8), (byte) length, 0};
    }

    private static byte[] proutParams(long key, long serviceKey) {
        return java.nio.ByteBuffer.allocate(24).putLong(key).putLong(serviceKey).array();
    }

    /** REGISTER AND MOVE's parameter list: keys, UNREG, then an iSCSI TransportID of the initiator-port form. */
    private static byte[] moveParams(long key, long serviceKey, boolean unreg, String port) {
        byte[] name = port.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int padded = (name.length + 1 + 3) / 4 * 4; // null-terminated, a multiple of 4
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24 + 4 + padded);
        b.putLong(key).putLong(serviceKey).put((byte) 0).put((byte) (unreg ? 2 : 0)).putShort((short) 1).putInt(4 + padded);
        b.put((byte) 0x45).put((byte) 0).putShort((short) padded).put(name);
        return b.array();
    }

    private ScsiResult prout(ScsiLun l, String nexus, int action, int type, byte[] params) {
        return l.execute(proutCdb(action, type, params.length), 0, Unpooled.wrappedBuffer(params), ByteBufAllocator.DEFAULT, nexus);
    }

    @Test
    void registerAndMoveHandsTheReservationToTheNamedNexus() {
        ScsiLun l = new ScsiLun(volume, "iqn.2026-12.io.scoria:vm1", 512, 8 << 20, new PersistentReservations(null));
        String a = "iqn.1994-05.com.redhat:a,i,0x23d000000001";
        String b = "iqn.1994-05.com.redhat:b,i,0x23d000000002";
        byte[] write = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};
        assertEquals(ScsiResult.GOOD, prout(l, a, 0, 0, proutParams(0, 0xaa)).status());
        assertEquals(ScsiResult.GOOD, prout(l, a, 1, 1, proutParams(0xaa, 0)).status(), "A reserves WRITE EXCLUSIVE");
        assertEquals(ScsiResult.RESERVATION_CONFLICT, prout(l, b, 7, 0, moveParams(0xbb, 0xbb, false, a)).status(),
                "only the holder moves the reservation");
        assertSense(prout(l, a, 7, 0, moveParams(0xaa, 0, false, b)), SenseException.ILLEGAL_REQUEST, 0x26);
        assertSense(prout(l, a, 7, 0, moveParams(0xaa, 0xbb, false, a)), SenseException.ILLEGAL_REQUEST, 0x26);
        assertSense(prout(l, a, 7, 0, moveParams(0xaa, 0xbb, false, "iqn.b")), SenseException.ILLEGAL_REQUEST, 0x26);
        assertEquals(ScsiResult.RESERVATION_CONFLICT, prout(l, a, 7, 0, moveParams(0x99, 0xbb, false, b)).status(),
                "with the holder's key only");
        assertEquals(ScsiResult.GOOD, prout(l, a, 7, 0, moveParams(0xaa, 0xbb, true, b.replace("0x23d", "0x23D"))).status());
        byte[] data = new byte[512];
        assertEquals(ScsiResult.GOOD, l.execute(write, 0, Unpooled.wrappedBuffer(data), ByteBufAllocator.DEFAULT, b).status(),
                "B holds the reservation now");
        assertEquals(ScsiResult.RESERVATION_CONFLICT, l.execute(write, 0, Unpooled.wrappedBuffer(data), ByteBufAllocator.DEFAULT, a).status(),
                "A no longer does");
        assertEquals(ScsiResult.RESERVATION_CONFLICT, prout(l, a, 1, 1, proutParams(0xaa, 0)).status(), "UNREG removed A's key");
        assertEquals(ScsiResult.GOOD, prout(l, b, 2, 1, proutParams(0xbb, 0)).status(), "B releases with the key it was given");
    }
}
