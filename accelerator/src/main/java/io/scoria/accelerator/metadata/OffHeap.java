package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.io.SingleThreadedChecked;

/** Off-heap stores of the map's writer and readers. Stateless. */
final class OffHeap {
    private OffHeap() {
    }

    /** An off-heap store usable from whichever thread holds the caller's lock; the owner releases it. */
    static BytesStore<?, Void> store(long size) {
        return anyThread(BytesStore.nativeStoreWithFixedCapacity(size));
    }

    static <S extends BytesStore<?, ?>> S anyThread(S s) {
        if (s instanceof SingleThreadedChecked c) {
            c.singleThreadedCheckDisabled(true);
        }
        return s;
    }
}
