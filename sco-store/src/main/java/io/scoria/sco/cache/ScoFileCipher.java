package io.scoria.sco.cache;

import io.scoria.backend.transform.FlashKey;
import io.scoria.sco.ScoFormatException;

import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * AES-256-CTR of the local SCO files of one encrypted volume (sco-store/FORMATS.md, "Local SCO
 * files of encrypted volumes", format 1). A file starts with a {@value #HEADER_BYTES}-byte header
 * (magic, format, data key id, SCO id, a random 64-bit salt drawn anew for every file written,
 * cluster size); the SCO's clusters follow, each byte XORed with the key stream whose 16-byte
 * counter block {@code i} is {@code salt || (scoId | i)}, {@code i} being the AES block's index in
 * the SCO's data (below 2^24: a SCO is at most 64 MiB, and a SCO id's low 24 bits are zero). Any
 * cluster decrypts alone, so random 4 KiB reads stay one read of the file.
 *
 * <p>No (key, counter block) pair is used for two plaintexts: within a file each position is
 * written once (appends only; a SCO reopened after a crash is copied into a new file with a new
 * salt by {@link OpenSco#recover}), and a new file of the same SCO number (a crash dropped an
 * unreferenced SCO, a rollback discarded one, a recycled spare file) gets a fresh salt. The CTR
 * key stream is made with AES-ECB of the counter blocks, so the cipher of a thread is keyed once
 * and fed no new object per cluster. Confidentiality only: CTR is malleable, and the CRC32C the
 * LBA map checks every cluster against is no MAC.
 *
 * <p>Thread-safe: each thread has its own {@link Cipher} and scratch buffers (about 48 KiB per
 * thread and volume). Buffers passed in stay the caller's, used only during a call.
 */
public final class ScoFileCipher {
    /** Bytes before the first cluster in an encrypted local SCO file. */
    public static final int HEADER_BYTES = 4096;
    static final int MAGIC = 0x53434f45; // "SCOE"
    static final short FORMAT = 1;
    static final short AES_256_CTR = 1;
    /** Header bytes with content; the rest of the header is zeros. */
    private static final int HEADER_FIELDS = 36;
    private static final int PIECE = 16 << 10;
    private static final long MAX_BLOCKS = 1L << 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final FlashKey key;
    private final ThreadLocal<Worker> workers;

    /** The per-thread cipher keyed with the volume's local flash key, and its scratch. */
    private static final class Worker {
        final Cipher ecb;
        final byte[] counters = new byte[PIECE];
        final byte[] stream = new byte[PIECE];
        final ByteBuffer counterView = ByteBuffer.wrap(counters);
        final ByteBuffer streamView = ByteBuffer.wrap(stream);
        final ByteBuffer out = ByteBuffer.allocateDirect(PIECE);
        final ByteBuffer header = ByteBuffer.allocateDirect(HEADER_FIELDS);

        Worker(FlashKey key) {
            try {
                ecb = Cipher.getInstance("AES/ECB/NoPadding");
                ecb.init(Cipher.ENCRYPT_MODE, key.aesKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK cannot do AES/ECB/NoPadding with a 256-bit key", e);
            }
        }
    }

    public ScoFileCipher(FlashKey key) {
        this.key = Objects.requireNonNull(key, "key");
        this.workers = ThreadLocal.withInitial(() -> new Worker(key));
    }

    /** The volume (namespace) whose files this cipher reads and writes. */
    public String volume() {
        return key.namespace();
    }

    /** The header of a new file of SCO {@code scoId}, with a fresh random salt (flipped, ready to write). */
    ByteBuffer newHeader(long scoId, int clusterSize) {
        long salt = RANDOM.nextLong();
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
        h.putInt(MAGIC).putShort(FORMAT).putShort(AES_256_CTR).putLong(key.keyId()).putLong(scoId).putLong(salt)
                .putInt(clusterSize);
        return h.clear();
    }

    /** The salt of a header made by {@link #newHeader}. */
    static long saltOf(ByteBuffer header) {
        return header.getLong(24);
    }

    /** What the start of a local SCO file says. */
    enum HeaderCheck {
        /** No header: the file is in the clear (written before local encryption, or a recycled file not yet written). */
        CLEAR,
        /** A header of this volume's key and of the SCO looked for. */
        MINE,
        /** A header of another SCO or another data key (a recycled file, or a file copied from elsewhere). */
        OTHER
    }

    /**
     * Reads the header of {@code ch} and returns what it is; for {@link HeaderCheck#MINE} the salt
     * is then {@link #lastSalt()} on this thread. Allocation-free.
     */
    HeaderCheck readHeader(FileChannel ch, Path path, long scoId) throws IOException {
        Worker w = workers.get();
        ByteBuffer h = w.header.clear();
        while (h.hasRemaining()) {
            if (ch.read(h, h.position()) < 0) {
                return HeaderCheck.CLEAR;
            }
        }
        if (h.getInt(0) != MAGIC) {
            return HeaderCheck.CLEAR;
        }
        if (h.getShort(4) != FORMAT || h.getShort(6) != AES_256_CTR) {
            throw new ScoFormatException("local SCO file " + path + " of volume '" + volume() + "' has format "
                    + h.getShort(4) + " cipher " + h.getShort(6) + "; this program reads format " + FORMAT + " cipher "
                    + AES_256_CTR);
        }
        return h.getLong(8) == key.keyId() && h.getLong(16) == scoId ? HeaderCheck.MINE : HeaderCheck.OTHER;
    }

    /** The salt of the header {@link #readHeader} last found {@link HeaderCheck#MINE} on this thread. */
    long lastSalt() {
        return workers.get().header.getLong(24);
    }

    /**
     * Like {@link #readHeader}, for a file that must be this SCO's: {@link HeaderCheck#MINE} (salt
     * in {@link #lastSalt()}) or {@link HeaderCheck#CLEAR} (a file written before local encryption).
     *
     * @throws ScoFormatException naming the volume and the file (never a key) when the header is another's
     */
    HeaderCheck requireOwnOrClear(FileChannel ch, Path path, long scoId) throws IOException {
        HeaderCheck c = readHeader(ch, path, scoId);
        if (c == HeaderCheck.OTHER) {
            throw new ScoFormatException("local SCO file " + path + " is not SCO " + OpenSco.describe(scoId)
                    + " of volume '" + volume() + "' under its current data key (another SCO's or another key's file)");
        }
        return c;
    }

    /**
     * How one SCO file is laid out: encrypted ({@code cipher} and the file's {@code salt}; data
     * after the header) or in the clear ({@code cipher} null; data from byte 0).
     */
    record FileLayout(ScoFileCipher cipher, long salt) {
        static final FileLayout CLEAR = new FileLayout(null, 0);

        /**
         * The layout of SCO {@code scoId}'s file {@code ch} for a volume whose files {@code cipher}
         * encrypts (null: in the clear, the header is not read).
         *
         * @throws ScoFormatException naming the volume and the file when it is another SCO's or another key's
         */
        static FileLayout of(FileChannel ch, Path path, long scoId, ScoFileCipher cipher) throws IOException {
            if (cipher == null || cipher.requireOwnOrClear(ch, path, scoId) == HeaderCheck.CLEAR) {
                return CLEAR;
            }
            return new FileLayout(cipher, cipher.lastSalt());
        }

        /** Bytes before the SCO's data. */
        long base() {
            return cipher == null ? 0 : HEADER_BYTES;
        }

        /** Bytes of SCO data in {@code ch}. */
        long dataBytes(FileChannel ch) throws IOException {
            return ch.size() - base();
        }

        /** Decrypts {@code buf}'s remaining bytes, the SCO's data from {@code dataPos}, in place (clear: nothing). */
        void decrypt(long scoId, long dataPos, ByteBuffer buf) {
            if (cipher != null) {
                cipher.apply(salt, scoId, dataPos, buf);
            }
        }
    }

    /**
     * Reads {@code dst.remaining()} bytes of SCO {@code scoId}'s data from {@code dataPos} out of
     * its local file {@code ch} into {@code dst}, decrypted (a file without a header is read as
     * it is); position advanced. False, with {@code dst}'s position unchanged, when the file is too
     * short or is not this SCO's under this key (a recycled file: the caller reads elsewhere).
     * Allocation-free.
     */
    public boolean readData(FileChannel ch, Path path, long scoId, long dataPos, ByteBuffer dst) throws IOException {
        int start = dst.position();
        HeaderCheck c = readHeader(ch, path, scoId);
        if (c == HeaderCheck.OTHER) {
            return false;
        }
        long base = c == HeaderCheck.MINE ? HEADER_BYTES : 0;
        long salt = lastSalt();
        if (ch.size() < base + dataPos + dst.remaining()) {
            return false;
        }
        while (dst.hasRemaining()) {
            if (ch.read(dst, base + dataPos + dst.position() - start) < 0) {
                dst.position(start);
                return false;
            }
        }
        if (c == HeaderCheck.MINE) {
            int end = dst.position();
            apply(salt, scoId, dataPos, dst.position(start));
            dst.position(end);
        }
        return true;
    }

    /**
     * XORs the key stream of SCO {@code scoId}'s file with salt {@code salt} over
     * {@code buf}'s remaining bytes, which are the SCO's data bytes from {@code dataPos} (both
     * multiples of 16): encrypts or decrypts in place. Position and limit unchanged.
     */
    void apply(long salt, long scoId, long dataPos, ByteBuffer buf) {
        Worker w = workers.get();
        int start = buf.position();
        int len = buf.remaining();
        checkAligned(dataPos, len);
        w.streamView.order(buf.order());
        for (int done = 0; done < len; done += PIECE) {
            int n = Math.min(PIECE, len - done);
            keyStream(w, salt, scoId, dataPos + done, n);
            for (int i = 0; i < n; i += 8) {
                int at = start + done + i;
                buf.putLong(at, buf.getLong(at) ^ w.streamView.getLong(i));
            }
        }
    }

    /**
     * Encrypts {@code src}'s remaining bytes (the SCO's data from {@code dataPos}) and writes them
     * to {@code ch} after the header; {@code src} is not changed (position and limit included).
     */
    void write(FileChannel ch, long salt, long scoId, long dataPos, ByteBuffer src) throws IOException {
        Worker w = workers.get();
        int start = src.position();
        int len = src.remaining();
        checkAligned(dataPos, len);
        w.streamView.order(src.order());
        ByteBuffer out = w.out.order(src.order());
        for (int done = 0; done < len; done += PIECE) {
            int n = Math.min(PIECE, len - done);
            keyStream(w, salt, scoId, dataPos + done, n);
            out.clear();
            for (int i = 0; i < n; i += 8) {
                out.putLong(i, src.getLong(start + done + i) ^ w.streamView.getLong(i));
            }
            out.limit(n);
            long at = HEADER_BYTES + dataPos + done;
            while (out.hasRemaining()) {
                at += ch.write(out, at);
            }
        }
    }

    /** Fills {@code w.stream[0, n)} with the key stream of the data bytes from {@code dataPos}. */
    private static void keyStream(Worker w, long salt, long scoId, long dataPos, int n) {
        long block = dataPos >>> 4;
        if (block + (n >>> 4) > MAX_BLOCKS) {
            throw new IllegalArgumentException("SCO data offset " + (dataPos + n) + " is beyond 64 MiB");
        }
        ByteBuffer c = w.counterView;
        for (int i = 0; i < n; i += 16) {
            c.putLong(i, salt);
            c.putLong(i + 8, (scoId & ~0xFF_FFFFL) | (block + (i >>> 4)));
        }
        try {
            w.ecb.update(w.counters, 0, n, w.stream, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException("AES key stream buffer too short", e);
        }
    }

    private static void checkAligned(long dataPos, int len) {
        if ((dataPos & 15) != 0 || (len & 15) != 0) {
            throw new IllegalArgumentException("encrypted SCO data is read and written in multiples of 16 bytes: "
                    + dataPos + "+" + len);
        }
    }

    @Override
    public String toString() {
        return "ScoFileCipher[" + key + "]";
    }
}
