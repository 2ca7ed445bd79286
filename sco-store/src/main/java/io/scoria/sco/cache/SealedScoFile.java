package io.scoria.sco.cache;

import io.scoria.sco.ScoFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Reads of a sealed SCO's local file as a whole, in the clear or through the volume's
 * {@link ScoFileCipher} (a file of an encrypted volume without a header, written before local
 * encryption, is read as it is): the check against the TLog's seal at a restart and before an
 * upload, the plaintext content that is uploaded, the data size. Stateless; thread-safe.
 */
public final class SealedScoFile {
    private SealedScoFile() {
    }

    /** Reads buffer of {@link #verify}, one per thread (the upload threads). */
    private static final ThreadLocal<ByteBuffer> VERIFY_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(256 << 10));

    /**
     * Checks that the sealed file at {@code path} of SCO {@code scoId} holds exactly {@code bytes}
     * bytes of data whose CRC32C is {@code crc} (the TLog's SCO_SEALED record), decrypting them when
     * {@code cipher} is given (null: the volume's files are in the clear) and the file has a header.
     *
     * @throws ScoFormatException naming the file, what was expected and what was found, or naming the
     *                            volume when the file is another SCO's or was written under another key
     */
    public static void verify(Path path, long scoId, long bytes, int crc, ScoFileCipher cipher) {
        ByteBuffer buf = VERIFY_BUFFER.get();
        CRC32C c = new CRC32C();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ScoFileCipher.FileLayout layout = ScoFileCipher.FileLayout.of(ch, path, scoId, cipher);
            if (layout.dataBytes(ch) != bytes) {
                throw new ScoFormatException("SCO " + path + " holds " + layout.dataBytes(ch) + " bytes but its TLog sealed"
                        + " it with " + bytes + " (lost by a power loss before it was forced?)");
            }
            long base = layout.base();
            long pos = 0;
            while (pos < bytes) {
                buf.clear().limit((int) Math.min(buf.capacity(), bytes - pos));
                while (buf.hasRemaining()) {
                    if (ch.read(buf, base + pos + buf.position()) < 0) {
                        throw new ScoFormatException("SCO " + path + " ended early at byte " + (pos + buf.position()));
                    }
                }
                buf.flip();
                layout.decrypt(scoId, pos, buf);
                pos += buf.remaining();
                c.update(buf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read SCO " + path, e);
        }
        if ((int) c.getValue() != crc) {
            throw new ScoFormatException(String.format("SCO %s does not match its TLog's SCO_SEALED record: CRC32C %08x, "
                    + "expected %08x (data lost by a power loss before it was forced, or damaged on local flash); "
                    + "it is not uploaded", path, (int) c.getValue(), crc));
        }
    }

    /**
     * The content of sealed SCO {@code scoId}'s file at {@code path} ({@code bytes} bytes), decrypted when
     * {@code cipher} is given and the file has a header: what is uploaded to the backend, whose own
     * format then transforms it. A new heap buffer, the caller's.
     *
     * @throws ScoFormatException when the file does not hold {@code bytes} bytes, or is another SCO's or key's
     */
    public static ByteBuffer readContent(Path path, long scoId, long bytes, ScoFileCipher cipher) {
        if (bytes > Integer.MAX_VALUE - ScoFileCipher.HEADER_BYTES) {
            throw new IllegalArgumentException("SCO " + path + " of " + bytes + " bytes does not fit a buffer");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ScoFileCipher.FileLayout layout = ScoFileCipher.FileLayout.of(ch, path, scoId, cipher);
            if (layout.dataBytes(ch) != bytes) {
                throw new ScoFormatException("SCO " + path + " holds " + layout.dataBytes(ch) + " bytes, not " + bytes);
            }
            ByteBuffer content = ByteBuffer.allocate((int) bytes);
            OpenSco.readCluster(ch, path, layout.base(), content);
            content.flip();
            layout.decrypt(scoId, 0, content);
            return content;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read SCO " + path, e);
        }
    }

    /**
     * Bytes of SCO data in SCO {@code scoId}'s local file at {@code path}: its size, less the
     * header when {@code cipher} is given and the file has one.
     */
    public static long contentBytes(Path path, long scoId, ScoFileCipher cipher) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            boolean encrypted = cipher != null
                    && cipher.readHeader(ch, path, scoId) != ScoFileCipher.HeaderCheck.CLEAR;
            return ch.size() - (encrypted ? ScoFileCipher.HEADER_BYTES : 0);
        }
    }
}
