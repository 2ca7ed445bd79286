package io.scoria.accelerator.foc.sealed;

import io.scoria.accelerator.foc.FocEntryFormat;
import io.scoria.accelerator.foc.FocEntryTamperedException;
import io.scoria.backend.transform.FlashKey;
import io.scoria.backend.transform.WrongKeyException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Seals and opens the payloads of one encrypted volume's FOC entries ({@link FocEntryFormat#SEALED};
 * sco-store/FORMATS.md, "Fail-over cache entries"):
 * <pre>
 * payload = u64 data key id | 16 bytes salt | u64 counter | AES-256-GCM(cluster) | 16 bytes tag
 * key     = HMAC-SHA256(focEntryKey, "scoria foc entry key v1" | salt)   (focEntryKey: {@link FlashKey#focEntryKey()})
 * nonce   = 4 zero bytes | counter
 * aad     = "scoria foc entry v1" | the payload's first 32 bytes | u64 lba | u64 scoTag | u32 offsetInSco | u32 scoVersion
 * </pre>
 * Each instance draws a random salt (one key per salt) and counts entries from 1, so no (key, nonce)
 * pair is ever used twice however many entries a volume writes over its life (random 96-bit nonces
 * under one key would be limited to 2^32 entries). The additional data binds the entry to its LBA and
 * place: an entry moved to another LBA fails like an altered one.
 *
 * <p>Errors of {@link #open}: an entry of another data key is a {@link WrongKeyException} naming the
 * volume; a tag that does not verify is a {@link FocEntryTamperedException} naming the volume and the
 * entry. Neither names a key.
 *
 * <p>Thread-safe: {@link #seal} and {@link #open} use a cipher and buffers per thread. Buffers: the
 * buffer {@link #seal} returns is the calling thread's, valid until its next call; {@code cluster},
 * {@code payload} and {@code dst} stay the caller's, and their positions are unchanged.
 */
public final class FocEntrySeal {
    static final int SALT_BYTES = 16;
    static final int HEAD_BYTES = 8 + SALT_BYTES + 8;
    static final int TAG_BYTES = 16;
    private static final byte[] KEY_LABEL = "scoria foc entry key v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AAD_LABEL = "scoria foc entry v1".getBytes(StandardCharsets.US_ASCII);
    private static final int AAD_BYTES = AAD_LABEL.length + HEAD_BYTES + 8 + 8 + 4 + 4;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String volume;
    private final FlashKey key;
    private final int clusterSize;
    private final int payloadBytes;
    private final byte[] salt = new byte[SALT_BYTES];
    private final SecretKeySpec sealKey;
    private final AtomicLong counter = new AtomicLong();
    private final Map<ByteBuffer, SecretKeySpec> openKeys = new ConcurrentHashMap<>();
    private final ThreadLocal<Worker> workers;

    private final class Worker {
        final Cipher gcm;
        final byte[] aad = new byte[AAD_BYTES];
        final byte[] head = new byte[HEAD_BYTES];
        final byte[] nonce = new byte[12];
        final ByteBuffer sealed = ByteBuffer.allocateDirect(payloadBytes);

        Worker() {
            try {
                gcm = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK lacks AES/GCM/NoPadding", e);
            }
            System.arraycopy(AAD_LABEL, 0, aad, 0, AAD_LABEL.length);
        }

        /** Fills {@link #aad} and {@link #nonce} from {@link #head} and the entry's place. */
        void bind(long lba, long scoTag, int offsetInSco, int scoVersion) {
            ByteBuffer a = ByteBuffer.wrap(aad, AAD_LABEL.length, AAD_BYTES - AAD_LABEL.length);
            a.put(head).putLong(lba).putLong(scoTag).putInt(offsetInSco).putInt(scoVersion);
            System.arraycopy(head, 8 + SALT_BYTES, nonce, 4, 8);
        }
    }

    /**
     * @param volume      the volume's name, for messages
     * @param key         the volume's local flash keys (its data key id and FOC entry key)
     * @param clusterSize the volume's cluster size
     */
    public FocEntrySeal(String volume, FlashKey key, int clusterSize) {
        this.volume = Objects.requireNonNull(volume, "volume");
        this.key = Objects.requireNonNull(key, "key");
        this.clusterSize = clusterSize;
        this.payloadBytes = FocEntryFormat.SEALED.payloadBytes(clusterSize);
        RANDOM.nextBytes(salt);
        this.sealKey = entryKey(salt);
        this.workers = ThreadLocal.withInitial(Worker::new);
    }

    private SecretKeySpec entryKey(byte[] s) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key.focEntryKey());
            mac.update(KEY_LABEL);
            byte[] k = mac.doFinal(s);
            SecretKeySpec spec = new SecretKeySpec(k, "AES");
            Arrays.fill(k, (byte) 0);
            return spec;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive a FOC entry key with HmacSHA256", e);
        }
    }

    /** The payload size of this volume's entries. */
    public int payloadBytes() {
        return payloadBytes;
    }

    /** The volume's cluster size. */
    public int clusterSize() {
        return clusterSize;
    }

    /** Seals {@code cluster} (exactly the cluster size) as the entry of {@code lba} at its place; see the class. */
    public ByteBuffer seal(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster) {
        if (cluster.remaining() != clusterSize) {
            throw new IllegalArgumentException("cluster: remaining() must be the cluster size " + clusterSize + ", got "
                    + cluster.remaining());
        }
        Worker w = workers.get();
        ByteBuffer.wrap(w.head).putLong(key.keyId()).put(salt).putLong(counter.incrementAndGet());
        w.bind(lba, scoTag, offsetInSco, scoVersion);
        ByteBuffer out = w.sealed.clear();
        out.put(w.head);
        try {
            w.gcm.init(Cipher.ENCRYPT_MODE, sealKey, new GCMParameterSpec(TAG_BYTES * 8, w.nonce));
            w.gcm.updateAAD(w.aad);
            w.gcm.doFinal(cluster.duplicate(), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM sealing failed for a FOC entry of volume '" + volume + "'", e);
        }
        return out.flip();
    }

    /**
     * Opens the sealed {@code payload} of entry number {@code index} (from 0, for messages) into
     * {@code dst} (at least the cluster size remaining; the cluster is put at its position, which it
     * advances).
     *
     * @throws WrongKeyException naming the volume when the entry was sealed under another data key
     * @throws FocEntryTamperedException naming the volume and the entry when it fails its tag
     */
    public void open(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer payload, ByteBuffer dst,
                     long index) {
        String entry = "FOC entry " + index + " (LBA " + lba + ", SCO tag " + scoTag + ") of volume '" + volume + "'";
        if (payload.remaining() != payloadBytes) {
            throw new FocEntryTamperedException(volume, index, entry + " has " + payload.remaining()
                    + " payload bytes, a sealed entry has " + payloadBytes);
        }
        Worker w = workers.get();
        ByteBuffer in = payload.duplicate();
        in.get(w.head);
        if (ByteBuffer.wrap(w.head).getLong(0) != key.keyId()) {
            throw new WrongKeyException(key.namespace(), entry + " was sealed under another data key than the"
                    + " volume's (the volume was re-created, or the entry is another volume's): not replayed");
        }
        SecretKeySpec k = openKeys.computeIfAbsent(ByteBuffer.wrap(Arrays.copyOfRange(w.head, 8, 8 + SALT_BYTES)),
                s -> entryKey(s.array()));
        w.bind(lba, scoTag, offsetInSco, scoVersion);
        try {
            w.gcm.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(TAG_BYTES * 8, w.nonce));
            w.gcm.updateAAD(w.aad);
            w.gcm.doFinal(in, dst);
        } catch (AEADBadTagException e) {
            throw new FocEntryTamperedException(volume, index, entry + " fails its AES-256-GCM tag: it was altered"
                    + " or damaged after the owner sealed it (or moved to another LBA); not replayed");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM opening failed for " + entry, e);
        }
    }

    @Override
    public String toString() {
        return "FocEntrySeal[volume=" + volume + ", key=***]";
    }
}
