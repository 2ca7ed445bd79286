package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.scoria.accelerator.Volume;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The block commands of LUN 0 (SBC-3): READ and WRITE 6/10/12/16 (FUA), WRITE AND VERIFY 10/16,
 * VERIFY 10/16, SYNCHRONIZE CACHE 10/16, UNMAP, WRITE SAME 10/16 (with UNMAP and NDOB) and
 * COMPARE AND WRITE. Ranges are checked against the capacity in logical blocks (the volume size
 * rounded down to whole blocks) and transfers against the maximum transfer length.
 *
 * <p>Threads: any worker. COMPARE AND WRITE takes the exclusive side of a read-write lock that
 * every other write of this LUN takes shared, so no write lands between its compare and its
 * write (VMware's atomic test and set relies on that). One instance per volume, shared by all
 * sessions. Buffers: Data-Out stays owned by the caller.
 */
final class BlockCommands {
    static final int READ_6 = 0x08;
    static final int WRITE_6 = 0x0a;
    static final int READ_10 = 0x28;
    static final int WRITE_10 = 0x2a;
    static final int WRITE_VERIFY_10 = 0x2e;
    static final int VERIFY_10 = 0x2f;
    static final int SYNC_CACHE_10 = 0x35;
    static final int WRITE_SAME_10 = 0x41;
    static final int UNMAP = 0x42;
    static final int READ_16 = 0x88;
    static final int COMPARE_AND_WRITE = 0x89;
    static final int WRITE_16 = 0x8a;
    static final int WRITE_VERIFY_16 = 0x8e;
    static final int VERIFY_16 = 0x8f;
    static final int SYNC_CACHE_16 = 0x91;
    static final int WRITE_SAME_16 = 0x93;
    static final int READ_12 = 0xa8;
    static final int WRITE_12 = 0xaa;

    /** Most blocks one COMPARE AND WRITE covers (block limits VPD page). */
    static final int MAX_COMPARE_AND_WRITE = 255;
    /** Most UNMAP block descriptors in one command. */
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    /** Most bytes one GET LBA STATUS looks at. */
    static final int SCAN = 1 << 20;
    /** Most bytes one WRITE SAME covers. */
    static final long MAX_WRITE_SAME_BYTES = 1L << 30;

    private final Volume volume;
    private final int blockSize;
    private final int maxTransferBytes;
    private final long capacityBlocks;
    private final ReadWriteLock atomic = new ReentrantReadWriteLock();
    private final Executor acknowledgements = Runnable::run;
    /** The initiator turned the write cache off (MODE SELECT, WCE=0): every write is durable before GOOD. */
    private volatile boolean writeThrough;

    BlockCommands(Volume volume, int blockSize, int maxTransferBytes) {
        this.volume = volume;
        this.blockSize = blockSize;
        this.maxTransferBytes = maxTransferBytes;
        this.capacityBlocks = volume.size() / blockSize;
    }

    long capacityBlocks() {
        return capacityBlocks;
    }

    /** With {@code on}, writes are forced to stable storage before their status (write cache disabled). */
    void writeThrough(boolean on) {
        writeThrough = on;
    }

    boolean handles(int opcode) {
        return switch (opcode) {
            case READ_6, READ_10, READ_12, READ_16, WRITE_6, WRITE_10, WRITE_12, WRITE_16, WRITE_VERIFY_10,
                    WRITE_VERIFY_16, VERIFY_10, VERIFY_16, SYNC_CACHE_10, SYNC_CACHE_16, WRITE_SAME_10,
                    WRITE_SAME_16, UNMAP, COMPARE_AND_WRITE -> true;
            default -> false;
        };
    }

    /** Bytes a READ of this CDB returns, or -1 if it is no READ. */
    long readBytes(byte[] cdb) {
        int op = Cdb.u8(cdb, 0);
        return op == READ_6 || op == READ_10 || op == READ_12 || op == READ_16 ? blocks(cdb) * blockSize : -1;
    }

    ScsiResult execute(byte[] cdb, ByteBuf dataOut, ByteBufAllocator alloc) {
        int op = Cdb.u8(cdb, 0);
        boolean protectionField = op != READ_6 && op != WRITE_6 && op != SYNC_CACHE_10 && op != SYNC_CACHE_16
                && op != UNMAP;
        if (protectionField && (Cdb.u8(cdb, 1) & 0xe0) != 0) {
            throw SenseException.invalidField("protection information (the LUN has none)");
        }
        return switch (op) {
            case READ_6, READ_10, READ_12, READ_16 -> read(lba(cdb), transfer(cdb), alloc);
            case WRITE_6, WRITE_10, WRITE_12, WRITE_16, WRITE_VERIFY_10, WRITE_VERIFY_16 -> {
                boolean fua = writeThrough || op == WRITE_VERIFY_10 || op == WRITE_VERIFY_16
                        || (op != WRITE_6 && (cdb[1] & 0x08) != 0);
                yield write(lba(cdb), transfer(cdb), dataOut, fua);
            }
            case VERIFY_10, VERIFY_16 -> verify(cdb, dataOut);
            case SYNC_CACHE_10, SYNC_CACHE_16 -> {
                checkRange(lba(cdb), blocks(cdb));
                volume.flush();
                yield ScsiResult.good();
            }
            case WRITE_SAME_10, WRITE_SAME_16 -> writeSame(cdb, dataOut);
            case UNMAP -> unmap(cdb, dataOut);
            case COMPARE_AND_WRITE -> compareAndWrite(cdb, dataOut);
            default -> throw SenseException.invalidOpcode(op);
        };
    }

    private static long lba(byte[] cdb) {
        return switch (Cdb.u8(cdb, 0)) {
            case READ_6, WRITE_6 -> ((Cdb.u8(cdb, 1) & 0x1f) << 16) | Cdb.u16(cdb, 2);
            case READ_16, WRITE_16, WRITE_VERIFY_16, VERIFY_16, SYNC_CACHE_16, WRITE_SAME_16, COMPARE_AND_WRITE ->
                    Cdb.u64(cdb, 2);
            default -> Cdb.u32(cdb, 2);
        };
    }

    private static long blocks(byte[] cdb) {
        return switch (Cdb.u8(cdb, 0)) {
            case READ_6, WRITE_6 -> Cdb.u8(cdb, 4) == 0 ? 256 : Cdb.u8(cdb, 4);
            case READ_12, WRITE_12 -> Cdb.u32(cdb, 6);
            case READ_16, WRITE_16, WRITE_VERIFY_16, VERIFY_16, SYNC_CACHE_16, WRITE_SAME_16 -> Cdb.u32(cdb, 10);
            case COMPARE_AND_WRITE -> Cdb.u8(cdb, 13);
            default -> Cdb.u16(cdb, 7);
        };
    }

    /** Blocks of a READ/WRITE/VERIFY, checked against the capacity and the maximum transfer. */
    private int transfer(byte[] cdb) {
        long n = blocks(cdb);
        checkRange(lba(cdb), n);
        if (n * blockSize > maxTransferBytes) {
            throw SenseException.invalidField("transfer of " + n + " blocks exceeds the maximum transfer length");
        }
        return (int) n;
    }

    private void checkRange(long lba, long n) {
        if (lba < 0 || lba > capacityBlocks || n > capacityBlocks - lba) {
            throw SenseException.lbaOutOfRange();
        }
    }

    private ScsiResult read(long lba, int n, ByteBufAllocator alloc) {
        if (n == 0) {
            return ScsiResult.good();
        }
        int len = n * blockSize;
        ByteBuf buf = alloc.directBuffer(len, len);
        try {
            volume.read(lba * blockSize, buf.nioBuffer(0, len));
            buf.writerIndex(len);
            return ScsiResult.good(buf);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    private ByteBuffer payload(ByteBuf dataOut, long bytes) {
        if (dataOut == null || dataOut.readableBytes() < bytes) {
            throw SenseException.invalidField("expected data transfer length is shorter than the CDB's " + bytes
                    + " bytes");
        }
        return dataOut.nioBuffer(dataOut.readerIndex(), (int) bytes);
    }

    /** COMPARE AND WRITE and WRITE SAME take exactly their data: other lengths are refused. */
    private static void exactDataOut(ByteBuf dataOut, long bytes) {
        int given = dataOut == null ? 0 : dataOut.readableBytes();
        if (given != bytes) {
            throw new SenseException(SenseException.ILLEGAL_REQUEST, 0x00, 0x00, -1, "data-out of " + given
                    + " bytes where the CDB needs " + bytes);
        }
    }

    /**
     * GET LBA STATUS descriptors (SBC-3 section 5.6) from {@code lba} over at most {@code SCAN} bytes:
     * runs of blocks that read as zeros are reported deallocated (with LBPRZ they read the same as
     * unmapped blocks), others mapped. The initiator asks again from where the last descriptor ends.
     */
    byte[] lbaStatus(long lba) {
        if (lba < 0 || lba >= capacityBlocks) {
            throw SenseException.lbaOutOfRange();
        }
        int blocks = (int) Math.min(capacityBlocks - lba, SCAN / blockSize);
        ByteBuffer data = ByteBuffer.allocate(blocks * blockSize);
        volume.read(lba * blockSize, data);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int start = 0;
        boolean zero = isZero(data.slice(0, blockSize));
        for (int i = 1; i <= blocks; i++) {
            boolean z = i < blocks && isZero(data.slice(i * blockSize, blockSize));
            if (i == blocks || z != zero) {
                byte[] d = new byte[16];
                Cdb.put64(d, 0, lba + start);
                Cdb.put32(d, 8, i - start);
                d[12] = (byte) (zero ? 1 : 0);
                out.writeBytes(d);
                start = i;
                zero = z;
            }
        }
        byte[] b = new byte[8 + out.size()];
        Cdb.put32(b, 0, b.length - 4);
        System.arraycopy(out.toByteArray(), 0, b, 8, out.size());
        return b;
    }

    /**
     * A WRITE of {@code n} blocks. An expected data transfer length that differs from the CDB's
     * (RFC 7143 section 11.4.5.1) writes the whole blocks both cover and reports the difference as a
     * residual. The data is applied when this returns; the result's future completes when the write may
     * be acknowledged, so no worker waits for the fail-over cache.
     */
    private ScsiResult write(long lba, int n, ByteBuf dataOut, boolean fua) {
        long wanted = (long) n * blockSize;
        int given = dataOut == null ? 0 : dataOut.readableBytes();
        int blocks = (int) (Math.min(wanted, given) / blockSize);
        if (blocks == 0) {
            return ScsiResult.wrote(wanted, null);
        }
        checkWritable();
        ByteBuffer src = payload(dataOut, (long) blocks * blockSize);
        CompletableFuture<Void> acked;
        atomic.readLock().lock();
        try {
            acked = volume.writeAsync(lba * blockSize, src, fua, acknowledgements);
        } finally {
            atomic.readLock().unlock();
        }
        return ScsiResult.wrote(wanted, acked.isDone() && !acked.isCompletedExceptionally() ? null : acked);
    }

    private void checkWritable() {
        if (volume.isReadOnly()) {
            throw SenseException.writeProtected();
        }
    }

    private ScsiResult verify(byte[] cdb, ByteBuf dataOut) {
        int n = transfer(cdb);
        int byteCheck = (Cdb.u8(cdb, 1) >> 1) & 3;
        if (byteCheck == 0 || n == 0) {
            return ScsiResult.good();
        }
        if (byteCheck != 1) {
            throw SenseException.invalidField("BYTCHK " + byteCheck);
        }
        ByteBuffer expected = payload(dataOut, (long) n * blockSize);
        ByteBuffer actual = ByteBuffer.allocate(n * blockSize);
        volume.read(lba(cdb) * blockSize, actual);
        int at = expected.mismatch(actual.flip());
        if (at >= 0) {
            throw SenseException.miscompare(at);
        }
        return ScsiResult.good();
    }

    private ScsiResult compareAndWrite(byte[] cdb, ByteBuf dataOut) {
        int n = (int) blocks(cdb);
        long lba = lba(cdb);
        if (n > MAX_COMPARE_AND_WRITE) {
            throw SenseException.invalidField("COMPARE AND WRITE of " + n + " blocks");
        }
        checkRange(lba, n);
        if (n == 0) {
            if (dataOut != null && dataOut.isReadable()) {
                throw SenseException.invalidField("COMPARE AND WRITE of 0 blocks with data");
            }
            return ScsiResult.good();
        }
        checkWritable();
        int len = n * blockSize;
        exactDataOut(dataOut, 2L * len);
        ByteBuffer both = payload(dataOut, 2L * len);
        ByteBuffer expected = both.slice(both.position(), len);
        ByteBuffer replacement = both.slice(both.position() + len, len);
        ByteBuffer actual = ByteBuffer.allocate(len);
        atomic.writeLock().lock();
        try {
            volume.read(lba * blockSize, actual);
            int at = actual.flip().mismatch(expected);
            if (at >= 0) {
                throw SenseException.miscompare(at);
            }
            volume.write(lba * blockSize, replacement, writeThrough || (cdb[1] & 0x08) != 0);
        } finally {
            atomic.writeLock().unlock();
        }
        return ScsiResult.good();
    }

    private ScsiResult writeSame(byte[] cdb, ByteBuf dataOut) {
        boolean sixteen = Cdb.u8(cdb, 0) == WRITE_SAME_16;
        boolean unmap = (cdb[1] & 0x08) != 0;
        boolean noDataOut = sixteen && (cdb[1] & 0x01) != 0;
        long lba = lba(cdb);
        long n = blocks(cdb);
        if ((cdb[1] & 0x10) != 0) {
            throw SenseException.invalidField("ANCHOR");
        }
        if (n == 0 || n * blockSize > MAX_WRITE_SAME_BYTES) {
            throw SenseException.invalidField("WRITE SAME of " + n + " blocks");
        }
        checkRange(lba, n);
        checkWritable();
        exactDataOut(dataOut, noDataOut ? 0 : blockSize);
        ByteBuffer block = noDataOut ? ByteBuffer.allocate(blockSize) : payload(dataOut, blockSize);
        long offset = lba * blockSize;
        long length = n * blockSize;
        atomic.readLock().lock();
        try {
            if (isZero(block)) {
                if (unmap) {
                    volume.trim(offset, length);
                } else {
                    volume.writeZeroes(offset, length, false);
                }
            } else {
                writeRepeated(offset, length, block);
            }
            if (writeThrough) {
                volume.flush();
            }
        } finally {
            atomic.readLock().unlock();
        }
        return ScsiResult.good();
    }

    private void writeRepeated(long offset, long length, ByteBuffer block) {
        int chunk = (int) Math.min(length, 1 << 20);
        ByteBuffer pattern = ByteBuffer.allocate(chunk);
        while (pattern.hasRemaining()) {
            pattern.put(block.duplicate());
        }
        for (long done = 0; done < length; done += chunk) {
            int n = (int) Math.min(chunk, length - done);
            volume.write(offset + done, pattern.duplicate().position(0).limit(n), false);
        }
    }

    private static boolean isZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private ScsiResult unmap(byte[] cdb, ByteBuf dataOut) {
        int paramLength = Cdb.u16(cdb, 7);
        if (paramLength == 0) {
            return ScsiResult.good();
        }
        checkWritable();
        if (paramLength < 8 || dataOut == null || dataOut.readableBytes() < paramLength) {
            throw SenseException.parameterLength("UNMAP parameter list of " + paramLength + " bytes");
        }
        byte[] p = new byte[paramLength];
        dataOut.getBytes(dataOut.readerIndex(), p);
        int descriptorBytes = Math.min(Cdb.u16(p, 2), paramLength - 8) & ~15;
        if (descriptorBytes / 16 > MAX_UNMAP_DESCRIPTORS) {
            throw SenseException.invalidParameter("more than " + MAX_UNMAP_DESCRIPTORS + " UNMAP descriptors");
        }
        for (int i = 8; i < 8 + descriptorBytes; i += 16) {
            checkRange(Cdb.u64(p, i), Cdb.u32(p, i + 8));
        }
        atomic.readLock().lock();
        try {
            for (int i = 8; i < 8 + descriptorBytes; i += 16) {
                long n = Cdb.u32(p, i + 8);
                if (n > 0) {
                    volume.trim(Cdb.u64(p, i) * blockSize, n * blockSize);
                }
            }
            if (writeThrough && descriptorBytes > 0) {
                volume.flush();
            }
        } finally {
            atomic.readLock().unlock();
        }
        return ScsiResult.good();
    }
}
