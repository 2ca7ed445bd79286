package io.scoria.distributor.stripe;

import io.scoria.backend.CorruptDataException;

import java.util.zip.CRC32C;

/**
 * Where the bytes of an object are. The object is cut into stripes of X blocks; block i of
 * every stripe goes, one after the other, into fragment i (i &lt; X data, the rest parity), so
 * byte p of all Y fragments forms one Reed-Solomon codeword. Full stripes use
 * {@code megaBlockSize} blocks; the last stripe uses the smallest multiple of 64 bytes that
 * holds its data (padded with zeros), so small objects stay small.
 *
 * <p>A fragment is stored framed: after every {@code chunkSize} payload bytes (and after the
 * last, shorter chunk) comes the CRC32C of that chunk, so a ranged read of one chunk is
 * verified without reading the rest. Immutable.
 */
public final class StripeLayout {
    public static final int CHUNK = 4096;
    private static final int CRC = 4;

    private final long size;
    private final int data;
    private final int megaBlock;
    private final long stripes;
    private final int lastBlock;

    public StripeLayout(long size, int data, int megaBlock) {
        this.size = size;
        this.data = data;
        this.megaBlock = megaBlock;
        long stripeBytes = (long) data * megaBlock;
        this.stripes = size == 0 ? 0 : (size + stripeBytes - 1) / stripeBytes;
        if (size == 0) {
            this.lastBlock = 0;
        } else {
            long rest = size - (stripes - 1) * stripeBytes;
            long perBlock = (rest + data - 1) / data;
            this.lastBlock = (int) Math.min(megaBlock, (perBlock + 63) / 64 * 64);
        }
    }

    public long size() {
        return size;
    }

    public long stripes() {
        return stripes;
    }

    public int blockSize(long stripe) {
        return stripe == stripes - 1 ? lastBlock : megaBlock;
    }

    /** Payload bytes of each fragment. */
    public long fragmentLength() {
        return stripes == 0 ? 0 : (stripes - 1) * megaBlock + lastBlock;
    }

    /** Bytes of each stored (framed) fragment. */
    public long storedLength() {
        return storedLength(fragmentLength());
    }

    static long storedLength(long payload) {
        return payload + CRC * ((payload + CHUNK - 1) / CHUNK);
    }

    /** Offset of payload byte {@code p} of a fragment in the stored fragment; p is chunk aligned. */
    public static long storedOffset(long p) {
        return p / CHUNK * (CHUNK + CRC);
    }

    /** Object offset of the first byte of stripe {@code s}. */
    public long stripeStart(long s) {
        return s * data * (long) megaBlock;
    }

    /** Fragment payload offset of the first byte of stripe {@code s}. */
    public long fragmentStart(long s) {
        return s * megaBlock;
    }

    /** Frames a payload: appends the CRC32C after every chunk. */
    public static byte[] frame(byte[] payload, int offset, int length) {
        byte[] out = new byte[(int) storedLength(length)];
        CRC32C crc = new CRC32C();
        int o = 0;
        for (int p = 0; p < length; p += CHUNK) {
            int n = Math.min(CHUNK, length - p);
            System.arraycopy(payload, offset + p, out, o, n);
            crc.reset();
            crc.update(payload, offset + p, n);
            int v = (int) crc.getValue();
            out[o + n] = (byte) (v >>> 24);
            out[o + n + 1] = (byte) (v >>> 16);
            out[o + n + 2] = (byte) (v >>> 8);
            out[o + n + 3] = (byte) v;
            o += n + CRC;
        }
        return out;
    }

    /**
     * Checks and strips the CRCs of stored bytes that start at a chunk boundary, writing the
     * payload to {@code out} at {@code outOffset}; returns the payload length.
     *
     * @throws CorruptDataException naming {@code where} and the chunk that fails
     */
    public static int unframe(byte[] stored, int storedLength, byte[] out, int outOffset, String where) {
        return checkChunks(stored, storedLength, out, outOffset, where);
    }

    /** Checks the CRCs of stored bytes that start at a chunk boundary, without copying. */
    public static void verify(byte[] stored, int storedLength, String where) {
        checkChunks(stored, storedLength, null, 0, where);
    }

    /** Checks every chunk's CRC32C; copies the payload to {@code out} unless it is null. */
    private static int checkChunks(byte[] stored, int storedLength, byte[] out, int outOffset, String where) {
        CRC32C crc = new CRC32C();
        int o = 0;
        int p = 0;
        while (o < storedLength) {
            int n = Math.min(CHUNK, storedLength - o - CRC);
            if (n <= 0) {
                throw new CorruptDataException(where + ": truncated at stored byte " + o);
            }
            crc.reset();
            crc.update(stored, o, n);
            int expected = ((stored[o + n] & 0xff) << 24) | ((stored[o + n + 1] & 0xff) << 16)
                    | ((stored[o + n + 2] & 0xff) << 8) | (stored[o + n + 3] & 0xff);
            if ((int) crc.getValue() != expected) {
                throw new CorruptDataException(where + ": chunk at stored byte " + o + " fails its CRC32C");
            }
            if (out != null) {
                System.arraycopy(stored, o, out, outOffset + p, n);
            }
            o += n + CRC;
            p += n;
        }
        return p;
    }

    /**
     * Copies payload bytes {@code [skip, skip + length)} of verified stored bytes (starting at a
     * chunk boundary) to {@code dst} at absolute index {@code at}, leaving out the CRCs.
     */
    public static void copyPayload(byte[] stored, int skip, int length, java.nio.ByteBuffer dst, int at) {
        int p = skip;
        int done = 0;
        while (done < length) {
            int inChunk = p % CHUNK;
            int n = Math.min(CHUNK - inChunk, length - done);
            dst.put(at + done, stored, p / CHUNK * (CHUNK + CRC) + inChunk, n);
            p += n;
            done += n;
        }
    }

    public static int crc32c(byte[] b, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(b, offset, length);
        return (int) crc.getValue();
    }
}
