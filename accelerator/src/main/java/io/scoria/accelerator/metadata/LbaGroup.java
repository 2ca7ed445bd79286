package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesIn;
import net.openhft.chronicle.bytes.BytesMarshallable;
import net.openhft.chronicle.bytes.BytesOut;

/**
 * The map value: {@link #SIZE} consecutive LBAs' (location, fingerprint, data CRC). Grouping
 * keeps chronicle-map's per-entry overhead below 3 bytes per cluster. Mutable scratch object,
 * reused per thread; not thread-safe.
 */
final class LbaGroup implements BytesMarshallable {
    static final int SIZE = 8;
    static final int SHIFT = 3;
    final long[] location = new long[SIZE];
    final long[] fpHi = new long[SIZE];
    final long[] fpLo = new long[SIZE];
    final int[] crc = new int[SIZE];

    void clear() {
        for (int i = 0; i < SIZE; i++) {
            location[i] = 0;
            fpHi[i] = 0;
            fpLo[i] = 0;
            crc[i] = 0;
        }
    }

    boolean isEmpty() {
        for (int i = 0; i < SIZE; i++) {
            if (location[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void readMarshallable(BytesIn<?> in) {
        for (int i = 0; i < SIZE; i++) {
            location[i] = in.readLong();
            fpHi[i] = in.readLong();
            fpLo[i] = in.readLong();
            crc[i] = in.readInt();
        }
    }

    @Override
    public void writeMarshallable(BytesOut<?> out) {
        for (int i = 0; i < SIZE; i++) {
            out.writeLong(location[i]);
            out.writeLong(fpHi[i]);
            out.writeLong(fpLo[i]);
            out.writeInt(crc[i]);
        }
    }
}
