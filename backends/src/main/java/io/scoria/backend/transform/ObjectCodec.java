package io.scoria.backend.transform;

import io.scoria.backend.CorruptDataException;

import javax.crypto.AEADBadTagException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.zip.CRC32C;

/**
 * Turns a whole plaintext object into its transformed form ({@link ObjectHeader} + chunks) and
 * chunks of that form back into plaintext. Each chunk is compressed on its own and kept raw when
 * compression does not make it smaller, then sealed with AES-256-GCM when the policy encrypts,
 * so any chunk can be read alone. Stateless; thread-safe. Buffers: {@code plain} is read from
 * its position to its limit and not moved; results are new heap buffers.
 */
final class ObjectCodec {
    /** Version 1 writes chunks of 64 KiB. */
    static final int CHUNK_SHIFT = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ObjectCodec() {
    }

    /** Largest stored size of a {@code plainLength}-byte object. */
    static long maxStoredLength(long plainLength) {
        long chunks = ObjectHeader.chunksOf(plainLength, CHUNK_SHIFT);
        return plainLength + ObjectHeader.indexEnd(chunks) + chunks * ChunkCipher.TAG_BYTES;
    }

    /**
     * Encodes {@code plain} under {@code policy} ({@code key} when it encrypts, else null) as
     * object {@code objectName} of {@code namespace}.
     */
    static ByteBuffer encode(TransformPolicy policy, DataKey key, String namespace, String objectName, ByteBuffer plain) {
        long length = plain.remaining();
        int chunkSize = 1 << CHUNK_SHIFT;
        int n = ObjectHeader.chunksOf(length, CHUNK_SHIFT);
        byte[] salt = new byte[ObjectHeader.SALT_BYTES];
        long keyId = 0;
        if (policy.encrypted()) {
            RANDOM.nextBytes(salt);
            keyId = key.id();
        }
        int[] stored = new int[n];
        byte[] modes = new byte[n];
        int[] crcs = new int[n];
        ObjectHeader prefix = new ObjectHeader(policy.encrypted(), CHUNK_SHIFT, length, keyId, salt, new int[n],
                new byte[n], new int[n]);
        ChunkCipher cipher = policy.encrypted() ? new ChunkCipher(key, prefix, namespace, objectName) : null;
        int bound = ChunkCompressor.maxCompressedLength(policy.compression(), chunkSize);
        byte[] in = new byte[chunkSize];
        byte[] packed = new byte[Math.max(bound, chunkSize)];
        byte[] body = new byte[(int) Math.min(Integer.MAX_VALUE - 64, maxStoredLength(length))];
        int bodyLength = 0;
        ByteBuffer src = plain.duplicate();
        for (int i = 0; i < n; i++) {
            int len = Math.min(chunkSize, src.remaining());
            src.get(in, 0, len);
            int packedLength = ChunkCompressor.compress(policy.compression(), policy.zstdLevel(), in, 0, len, packed, 0);
            byte[] from = packed;
            Compression mode = policy.compression();
            if (packedLength >= len) {
                from = in;
                packedLength = len;
                mode = Compression.NONE;
            }
            modes[i] = (byte) mode.mode();
            if (cipher == null) {
                CRC32C crc = new CRC32C();
                crc.update(in, 0, len);
                crcs[i] = (int) crc.getValue();
                System.arraycopy(from, 0, body, bodyLength, packedLength);
                stored[i] = packedLength;
            } else {
                stored[i] = packedLength + ChunkCipher.TAG_BYTES;
                byte[] entry = entry(stored[i], modes[i]);
                cipher.seal(i, entry, from, 0, packedLength, body, bodyLength);
            }
            bodyLength += stored[i];
        }
        ObjectHeader header = new ObjectHeader(policy.encrypted(), CHUNK_SHIFT, length, keyId, salt, stored, modes, crcs);
        ByteBuffer out = ByteBuffer.allocate(header.fixed.length + bodyLength);
        header.writeTo(out);
        out.put(body, 0, bodyLength);
        return out.flip();
    }

    /** The index entry bytes of a sealed chunk: stored length, mode, three zero bytes, CRC 0. */
    private static byte[] entry(int storedLength, byte mode) {
        return ByteBuffer.allocate(ObjectHeader.ENTRY_BYTES).putInt(storedLength).put(mode).put((byte) 0)
                .putShort((short) 0).putInt(0).array();
    }

    /**
     * Decodes chunks {@code first..last} of an object whose stored bytes from
     * {@code header.offsets[first]} to {@code header.offsets[last + 1]} are in {@code stored},
     * writing plaintext bytes {@code [from, from + dst.remaining())} of the object into {@code dst}.
     *
     * @throws CorruptDataException naming {@code where} and the chunk when one fails its check
     */
    static void decode(ObjectHeader header, DataKey key, String namespace, String objectName, int first, int last,
                       byte[] stored, long from, ByteBuffer dst, String where) {
        ChunkCipher cipher = header.encrypted ? new ChunkCipher(key, header, namespace, objectName) : null;
        byte[] plain = new byte[header.chunkSize()];
        byte[] opened = cipher == null ? null : new byte[header.chunkSize() + ChunkCipher.TAG_BYTES];
        long base = header.offsets[first];
        for (int i = first; i <= last; i++) {
            int at = (int) (header.offsets[i] - base);
            int len = header.storedLengths[i];
            int plainLen = header.plainLengthOf(i);
            byte[] src = stored;
            int srcOff = at;
            if (cipher != null) {
                try {
                    len = cipher.open(i, header.entryBytes(i), stored, at, len, opened, 0);
                } catch (AEADBadTagException e) {
                    throw new CorruptDataException(where + ": chunk " + i + " fails AES-GCM authentication"
                            + " (altered, damaged, moved from another object, or its header was changed)");
                } catch (IllegalStateException e) {
                    throw new CorruptDataException(where + ": chunk " + i + " cannot be opened: " + e.getMessage(), e);
                }
                src = opened;
                srcOff = 0;
            }
            Compression mode = Compression.ofMode(header.modes[i]);
            if (!ChunkCompressor.decompress(mode, src, srcOff, len, plain, 0, plainLen)) {
                throw new CorruptDataException(where + ": chunk " + i + " is not valid " + mode.label() + " data of "
                        + plainLen + " bytes");
            }
            if (cipher == null) {
                CRC32C crc = new CRC32C();
                crc.update(plain, 0, plainLen);
                if ((int) crc.getValue() != header.plainCrcs[i]) {
                    throw new CorruptDataException(where + ": chunk " + i + " fails its CRC32C");
                }
            }
            long chunkStart = (long) i << header.chunkShift;
            long copyFrom = Math.max(from, chunkStart);
            int copyLen = (int) Math.min(chunkStart + plainLen - copyFrom, dst.remaining());
            if (copyLen > 0) {
                dst.put(plain, (int) (copyFrom - chunkStart), copyLen);
            }
        }
    }

    /**
     * The plaintext of a whole stored object, or {@code stored} itself when it has no header;
     * {@code keyOf} gives the data key of an encrypted object's header (and throws when there is none).
     */
    static ByteBuffer decodeWhole(ByteBuffer stored, String namespace, String objectName, String where,
                                  java.util.function.Function<ObjectHeader, DataKey> keyOf) {
        if (!ObjectHeader.hasMagic(stored)) {
            return stored;
        }
        long end = ObjectHeader.indexEnd(ObjectHeader.chunkCountOf(stored));
        if (end > stored.remaining()) {
            throw new CorruptDataException(where + ": transformed object is shorter than its index");
        }
        ObjectHeader header = ObjectHeader.parse(stored.duplicate().limit(stored.position() + (int) end), where);
        if (header.storedLength() != stored.remaining()) {
            throw new CorruptDataException(where + ": transformed object is " + stored.remaining() + " bytes, its index says "
                    + header.storedLength());
        }
        ByteBuffer plain = ByteBuffer.allocate((int) header.plainLength);
        if (header.chunkCount > 0) {
            DataKey key = header.encrypted ? keyOf.apply(header) : null;
            byte[] body = new byte[(int) (header.storedLength() - end)];
            stored.duplicate().position(stored.position() + (int) end).get(body);
            decode(header, key, namespace, objectName, 0, header.chunkCount - 1, body, 0, plain, where);
        }
        return plain.flip();
    }
}
