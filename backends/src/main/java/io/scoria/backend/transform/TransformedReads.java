package io.scoria.backend.transform;

import io.scoria.backend.CorruptDataException;
import io.scoria.backend.ObjectStore;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The read side of {@link TransformingObjectStore}: finds an object's header (cached, or read
 * with one ranged GET sized for a 4 MiB SCO's index), fetches just the chunks a range needs and
 * opens them. An object without the header is an object from before transforms (or of a
 * namespace without a policy) and is read as stored. Thread-safe; holds no per-call state.
 */
final class TransformedReads {
    /** Header and index of a 64-chunk (4 MiB) object: one GET finds a SCO's whole index. */
    private static final int PROBE_BYTES = (int) ObjectHeader.indexEnd(64);

    private final ObjectStore delegate;
    private final KeyRing ring;
    private final HeaderCache cache;

    TransformedReads(ObjectStore delegate, KeyRing ring, HeaderCache cache) {
        this.delegate = delegate;
        this.ring = ring;
        this.cache = cache;
    }

    /** The header of {@code key}, or empty when it is stored as written (no header). */
    Optional<ObjectHeader> header(String namespace, String key, boolean useCache) {
        if (useCache) {
            ObjectHeader cached = cache.get(namespace, key);
            if (cached != null) {
                return Optional.of(cached);
            }
        }
        ByteBuffer probe = probe(namespace, key);
        if (probe == null || !ObjectHeader.hasMagic(probe)) {
            return Optional.empty();
        }
        String where = where(namespace, key);
        long chunks = ObjectHeader.chunkCountOf(probe);
        long end = ObjectHeader.indexEnd(chunks);
        if (end > Integer.MAX_VALUE - 16) {
            throw new CorruptDataException(where + ": transformed object header names " + chunks + " chunks");
        }
        ByteBuffer all = probe;
        if (end != probe.remaining()) {
            all = ByteBuffer.allocate((int) end);
            if (end < probe.remaining()) {
                all.put(probe.limit((int) end));
            } else {
                all.put(probe);
                try {
                    delegate.read(namespace, key, probe.limit(), all);
                } catch (IllegalArgumentException e) {
                    throw new CorruptDataException(where + ": transformed object is shorter than its index", e);
                }
            }
            all.flip();
        }
        ObjectHeader header = ObjectHeader.parse(all, where);
        cache.put(namespace, key, header);
        return Optional.of(header);
    }

    /** The whole object's plaintext. */
    ByteBuffer get(String namespace, String key) {
        return ObjectCodec.decodeWhole(delegate.get(namespace, key), namespace, key, where(namespace, key),
                h -> keyOf(namespace, key, h));
    }

    /**
     * Reads plaintext bytes {@code [offset, offset + dst.remaining())} of {@code key}; returns
     * false when the object has no header (the caller reads it as stored).
     */
    boolean read(String namespace, String key, long offset, ByteBuffer dst) {
        ObjectHeader cached = cache.get(namespace, key);
        if (cached != null) {
            int start = dst.position();
            try {
                readChunks(namespace, key, cached, offset, dst);
                return true;
            } catch (CorruptDataException | IllegalArgumentException | WrongKeyException stale) {
                cache.remove(namespace, key);
                dst.position(start);
            }
        }
        Optional<ObjectHeader> header = header(namespace, key, false);
        if (header.isEmpty()) {
            return false;
        }
        readChunks(namespace, key, header.get(), offset, dst);
        return true;
    }

    private void readChunks(String namespace, String key, ObjectHeader header, long offset, ByteBuffer dst) {
        int length = dst.remaining();
        if (offset + length > header.plainLength) {
            throw new IllegalArgumentException("range offset=" + offset + " length=" + length + " passes the end of "
                    + namespace + "/" + key + " (size " + header.plainLength + ")");
        }
        int first = (int) (offset >>> header.chunkShift);
        int last = (int) ((offset + length - 1) >>> header.chunkShift);
        long from = header.offsets[first];
        ByteBuffer stored = delegate.get(namespace, key, from, (int) (header.offsets[last + 1] - from));
        byte[] body = new byte[stored.remaining()];
        stored.get(body);
        ObjectCodec.decode(header, keyOf(namespace, key, header), namespace, key, first, last, body, offset, dst,
                where(namespace, key));
    }

    /** The data key that sealed {@code key}, or null when it is not encrypted. */
    private DataKey keyOf(String namespace, String key, ObjectHeader header) {
        if (!header.encrypted) {
            return null;
        }
        Optional<NamespaceKeys> keys = ring.lookup(namespace);
        if (keys.isEmpty()) {
            throw new KeyDestroyedException(namespace, "volume '" + namespace + "': object " + key + " is encrypted and key "
                    + "ring " + ring.where() + " holds no data key for the volume (it was deleted, so its data is "
                    + "crypto-shredded, or this program uses another key ring)");
        }
        DataKey k = keys.get().dataKey();
        if (k == null || k.id() != header.keyId) {
            throw new WrongKeyException(namespace, "volume '" + namespace + "': object " + key + " was sealed under another "
                    + "data key than the volume's current one (the volume was re-created, or the object was copied "
                    + "from elsewhere)");
        }
        return k;
    }

    private ByteBuffer probe(String namespace, String key) {
        for (int size : new int[] {PROBE_BYTES, (int) ObjectHeader.indexEnd(0)}) {
            ByteBuffer b = ByteBuffer.allocate(size);
            try {
                delegate.read(namespace, key, 0, b);
                return b.flip();
            } catch (IllegalArgumentException shorter) {
                // the object is shorter than this probe: try the smallest header, else it has none
            }
        }
        return null;
    }

    private String where(String namespace, String key) {
        return delegate.name() + ":" + namespace + "/" + key;
    }
}
