package io.scoria.accelerator.foc.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.scoria.accelerator.foc.FocException;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * The entries a {@link FocClient} keeps until their SCO is removed: an open batch being filled
 * and the sealed batches, in sequence order, each of one SCO tag. Copies each cluster once, into a
 * pooled direct buffer in wire layout, so that sending and re-sending need no further copy.
 *
 * <p>Not thread-safe: guarded by the client's lock.
 */
final class KeptEntries {
    private final ByteBufAllocator alloc;
    private final String volumeId;
    private final int entryBytes;
    private final int payloadBytes;
    private final int maxBatchEntries;
    private final long maxBytes;
    private final Consumer<Batch> onSeal;
    private final ArrayDeque<Batch> sealed = new ArrayDeque<>();
    private Batch open;
    private long bytes;
    private long removedUpTo = -1;
    private long lastSeq;

    KeptEntries(ByteBufAllocator alloc, String volumeId, int payloadBytes, int entryBytes, int maxBatchEntries,
                long maxBytes, Consumer<Batch> onSeal) {
        this.alloc = alloc;
        this.volumeId = volumeId;
        this.payloadBytes = payloadBytes;
        this.entryBytes = entryBytes;
        this.maxBatchEntries = maxBatchEntries;
        this.maxBytes = maxBytes;
        this.onSeal = onSeal;
    }

    /** Copies one entry (arguments already checked) and returns its sequence number. */
    long append(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster) {
        if (scoTag <= removedUpTo) {
            throw new IllegalArgumentException("scoTag: SCO tag " + scoTag
                    + " was already removed (declared on the backend) up to " + removedUpTo);
        }
        if (bytes + entryBytes > maxBytes) {
            throw new FocException("FOC volume " + volumeId + ": " + bytes + " bytes of entries kept for re-sending"
                    + " reach maxRetainedBytes " + maxBytes + "; removeUpTo must be called once SCOs are on the backend");
        }
        if (open != null && (open.scoTag != scoTag || open.count == maxBatchEntries)) {
            sealOpen();
        }
        if (open == null) {
            open = new Batch(scoTag, alloc.directBuffer(entryBytes * Math.min(4, maxBatchEntries),
                    entryBytes * maxBatchEntries));
        }
        ByteBuf b = open.entries;
        b.writeLong(lba).writeLong(scoTag).writeInt(offsetInSco).writeInt(scoVersion);
        int pos = cluster.position();
        b.writeBytes(cluster);
        cluster.position(pos);
        long seq = ++lastSeq;
        if (open.count++ == 0) {
            open.firstSeq = seq;
        }
        open.lastSeq = seq;
        bytes += entryBytes;
        return seq;
    }

    /** Seals the open batch, if it has entries, and hands it to {@code onSeal}. */
    void sealOpen() {
        if (open != null && open.count > 0) {
            open.sealed = true;
            sealed.add(open);
            Batch b = open;
            open = null;
            onSeal.accept(b);
        }
    }

    boolean hasOpenEntries() {
        return open != null && open.count > 0;
    }

    /**
     * True if entry {@code seq} (returned by {@link #append}) is still kept, false once its batch was
     * removed. Batches stay in sequence order, so this looks from the newest back: O(1) for recent entries.
     */
    boolean holds(long seq) {
        if (open != null && open.count > 0 && seq >= open.firstSeq) {
            return seq <= open.lastSeq;
        }
        Iterator<Batch> it = sealed.descendingIterator();
        while (it.hasNext()) {
            Batch b = it.next();
            if (seq >= b.firstSeq) {
                return seq <= b.lastSeq;
            }
        }
        return false;
    }

    /** Sealed batches, oldest first (for re-sending). */
    Iterable<Batch> sealedBatches() {
        return sealed;
    }

    int sealedCount() {
        return sealed.size();
    }

    /** Forgets SCO tags up to {@code scoTag}: {@code dropped} sees each batch before it is released. */
    boolean removeUpTo(long scoTag, Consumer<Batch> dropped) {
        if (scoTag <= removedUpTo) {
            return false;
        }
        removedUpTo = scoTag;
        if (open != null && open.scoTag <= scoTag) {
            sealOpen();
        }
        sealed.removeIf(b -> {
            if (b.scoTag > scoTag) {
                return false;
            }
            dropped.accept(b);
            bytes -= (long) b.count * entryBytes;
            b.release();
            return true;
        });
        return true;
    }

    /** Releases everything kept (after UNREGISTER or at close). */
    void clear() {
        if (open != null) {
            open.release();
            open = null;
        }
        sealed.forEach(Batch::release);
        sealed.clear();
        bytes = 0;
    }

    long removedUpTo() {
        return removedUpTo;
    }

    long lastSeq() {
        return lastSeq;
    }

    long bytes() {
        return bytes;
    }

    int payloadBytes() {
        return payloadBytes;
    }
}
