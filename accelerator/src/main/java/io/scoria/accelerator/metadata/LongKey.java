package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.algo.hashing.LongHashFunction;
import net.openhft.chronicle.hash.Data;

/**
 * A reusable chronicle key of one {@code long} (native byte order), so lookups neither box a
 * {@link Long} nor go through chronicle's key marshalling. Not thread-safe: one per thread.
 */
final class LongKey implements Data<Long> {
    private final BytesStore<?, byte[]> bytes = OffHeap.anyThread(BytesStore.wrap(new byte[8]));
    private long key;

    LongKey set(long k) {
        key = k;
        bytes.writeLong(0, k);
        return this;
    }

    @Override
    public RandomDataInput bytes() {
        return bytes;
    }

    @Override
    public long offset() {
        return 0;
    }

    @Override
    public long size() {
        return 8;
    }

    /** Same as hashing the 8 bytes (LongHashFunction's contract for native byte order), without reading them back. */
    @Override
    public long hash(LongHashFunction f) {
        return f.hashLong(key);
    }

    @Override
    public boolean equivalent(RandomDataInput source, long sourceOffset) {
        return source.readLong(sourceOffset) == key;
    }

    @Override
    public Long get() {
        return key;
    }

    @Override
    public Long getUsing(Long using) {
        return key;
    }
}
