package io.scoria.accelerator.metadata;

/** The record that growth and crash tests write for an LBA (derived from it, so any LBA can be checked). */
final class TestRecords {
    private TestRecords() {
    }

    static void put(LbaMap m, long lba) {
        long loc = lba + 1;
        m.put(lba, loc, loc * 3, loc * 5, (int) loc);
    }

    /** Throws if {@code m} does not hold {@link #put}'s record for {@code lba}. */
    static void assertHas(LbaMap m, long lba, LbaEntry e) {
        m.get(lba, e);
        long loc = lba + 1;
        if (e.location != loc || e.fpHi != loc * 3 || e.fpLo != loc * 5 || e.crc != (int) loc) {
            throw new AssertionError("lba " + lba + " read location " + e.location);
        }
    }
}
