package io.scoria.backend.transform;

import io.scoria.backend.CorruptDataException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The versioned header and chunk index of a transformed object (sco-store/FORMATS.md,
 * "Transformed objects"). All integers big-endian.
 * <pre>
 * offset size
 *  0      8   magic 89 53 43 58 46 0D 0A 1A  ("\x89SCXF\r\n\x1a")
 *  8      1   format version, 1
 *  9      1   flags: bit 0 = chunks sealed with AES-256-GCM; other bits 0
 * 10      1   chunk shift: chunks are 2^shift bytes of plaintext (12..24; version 1 writes 16)
 * 11      1   0
 * 12      8   plaintext length of the object
 * 20      4   chunk count N = ceil(length / chunk size)
 * 24      8   data key id (0 when not encrypted)
 * 32     16   object salt, random for every put (zeros when not encrypted)
 * 48   12*N   index entry per chunk: u32 stored length (with the 16-byte GCM tag when encrypted),
 *             u8 mode (0 raw, 1 lz4, 2 zstd), 3 bytes 0, u32 CRC32C of the plaintext chunk
 *             (0 when encrypted: the GCM tag authenticates it)
 * 48+12N  4   CRC32C of everything above
 * then        the stored chunks, back to back in index order
 * </pre>
 * Immutable after construction; safe to share between threads.
 */
final class ObjectHeader {
    static final byte[] MAGIC = {(byte) 0x89, 'S', 'C', 'X', 'F', 0x0D, 0x0A, 0x1A};
    static final int VERSION = 1;
    static final int FIXED_BYTES = 48;
    static final int ENTRY_BYTES = 12;
    static final int CRC_BYTES = 4;
    static final int FLAG_ENCRYPTED = 1;
    static final int MIN_SHIFT = 12;
    static final int MAX_SHIFT = 24;
    static final int SALT_BYTES = 16;

    final boolean encrypted;
    final int chunkShift;
    final long plainLength;
    final int chunkCount;
    final long keyId;
    final byte[] salt;
    final int[] storedLengths;
    final byte[] modes;
    final int[] plainCrcs;
    /** Offset of each chunk in the stored object, plus one past the last chunk. */
    final long[] offsets;
    /** The header and index as stored (authenticated with every chunk). */
    final byte[] fixed;

    ObjectHeader(boolean encrypted, int chunkShift, long plainLength, long keyId, byte[] salt, int[] storedLengths,
                 byte[] modes, int[] plainCrcs) {
        this.encrypted = encrypted;
        this.chunkShift = chunkShift;
        this.plainLength = plainLength;
        this.chunkCount = storedLengths.length;
        this.keyId = keyId;
        this.salt = salt.clone();
        this.storedLengths = storedLengths;
        this.modes = modes;
        this.plainCrcs = plainCrcs;
        this.offsets = new long[chunkCount + 1];
        offsets[0] = indexEnd(chunkCount);
        for (int i = 0; i < chunkCount; i++) {
            offsets[i + 1] = offsets[i] + storedLengths[i];
        }
        this.fixed = fixedBytes();
    }

    /** Bytes from the start of the object to the first chunk, for {@code chunks} chunks. */
    static long indexEnd(long chunks) {
        return FIXED_BYTES + ENTRY_BYTES * chunks + CRC_BYTES;
    }

    /** Chunks of {@code plainLength} bytes at {@code shift}. */
    static int chunksOf(long plainLength, int shift) {
        return (int) ((plainLength + (1L << shift) - 1) >>> shift);
    }

    int chunkSize() {
        return 1 << chunkShift;
    }

    /** Plaintext length of chunk {@code i}. */
    int plainLengthOf(int i) {
        long start = (long) i << chunkShift;
        return (int) Math.min(chunkSize(), plainLength - start);
    }

    /** Total stored size of the object this header describes. */
    long storedLength() {
        return offsets[chunkCount];
    }

    /** Whether {@code prefix} (at least {@link #MAGIC}'s length, or the whole object) starts with the magic. */
    static boolean hasMagic(ByteBuffer prefix) {
        if (prefix.remaining() < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix.get(prefix.position() + i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** The chunk count written in a fixed header, after its magic was seen; -1 if implausible. */
    static long chunkCountOf(ByteBuffer fixedPart) {
        return Integer.toUnsignedLong(fixedPart.getInt(fixedPart.position() + 20));
    }

    /**
     * Parses header and index from {@code bytes} (exactly {@link #indexEnd} bytes of the object).
     *
     * @throws CorruptDataException naming {@code where} when a field or the CRC32C is wrong
     */
    static ObjectHeader parse(ByteBuffer bytes, String where) {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.BIG_ENDIAN);
        int start = b.position();
        if (!hasMagic(b) || b.remaining() < FIXED_BYTES + CRC_BYTES) {
            throw new CorruptDataException(where + ": not a transformed object header");
        }
        int version = Byte.toUnsignedInt(b.get(start + 8));
        if (version != VERSION) {
            throw new CorruptDataException(where + ": transformed object format version " + version
                    + " is not known to this program (it reads version " + VERSION + ")");
        }
        int flags = Byte.toUnsignedInt(b.get(start + 9));
        int shift = Byte.toUnsignedInt(b.get(start + 10));
        long length = b.getLong(start + 12);
        long chunks = chunkCountOf(b);
        if ((flags & ~FLAG_ENCRYPTED) != 0 || shift < MIN_SHIFT || shift > MAX_SHIFT || length < 0
                || chunks != chunksOf(length, shift) || b.remaining() != indexEnd(chunks)) {
            throw new CorruptDataException(where + ": transformed object header is damaged (flags " + flags + ", shift "
                    + shift + ", length " + length + ", chunks " + chunks + ")");
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().limit(b.limit() - CRC_BYTES));
        if ((int) crc.getValue() != b.getInt(b.limit() - CRC_BYTES)) {
            throw new CorruptDataException(where + ": transformed object header fails its CRC32C");
        }
        long keyId = b.getLong(start + 24);
        byte[] salt = new byte[SALT_BYTES];
        b.position(start + 32);
        b.get(salt);
        int n = (int) chunks;
        int[] stored = new int[n];
        byte[] modes = new byte[n];
        int[] crcs = new int[n];
        for (int i = 0; i < n; i++) {
            int at = start + FIXED_BYTES + i * ENTRY_BYTES;
            stored[i] = b.getInt(at);
            modes[i] = b.get(at + 4);
            crcs[i] = b.getInt(at + 8);
            if (stored[i] < 0 || Compression.ofMode(modes[i]) == null) {
                throw new CorruptDataException(where + ": index entry of chunk " + i + " is damaged");
            }
        }
        return new ObjectHeader((flags & FLAG_ENCRYPTED) != 0, shift, length, keyId, salt, stored, modes, crcs);
    }

    /** Writes header and index (with its CRC32C) into {@code dst} at its position. */
    void writeTo(ByteBuffer dst) {
        dst.put(fixed);
    }

    /** The 12 index bytes of chunk {@code i} as stored. */
    byte[] entryBytes(int i) {
        int at = FIXED_BYTES + i * ENTRY_BYTES;
        return Arrays.copyOfRange(fixed, at, at + ENTRY_BYTES);
    }

    private byte[] fixedBytes() {
        ByteBuffer b = ByteBuffer.allocate((int) indexEnd(chunkCount)).order(ByteOrder.BIG_ENDIAN);
        b.put(MAGIC).put((byte) VERSION).put((byte) (encrypted ? FLAG_ENCRYPTED : 0)).put((byte) chunkShift).put((byte) 0);
        b.putLong(plainLength).putInt(chunkCount).putLong(keyId).put(salt);
        for (int i = 0; i < chunkCount; i++) {
            b.putInt(storedLengths[i]).put(modes[i]).put((byte) 0).putShort((short) 0).putInt(plainCrcs[i]);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }
}
