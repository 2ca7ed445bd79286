package io.scoria.accelerator.metadata;

import static io.scoria.accelerator.metadata.LbaMap.COARSE_MAX;
import static io.scoria.accelerator.metadata.LbaMap.GROUP;
import static io.scoria.accelerator.metadata.LbaMap.PROMOTE;
import static io.scoria.accelerator.metadata.LbaMap.SHIFT;

/**
 * The writer of an {@link LbaMap}'s page regions: merges a batch of updates into the coarse and fine
 * pages of one region, promotes groups that reach {@link LbaMap#PROMOTE} records into dense groups and
 * splits a coarse page that exceeds {@link LbaMap#COARSE_MAX} records into fine pages (see the
 * {@link LbaMap} class comment for the format). Holds the writer's scratch lists of one region (about
 * 0.6 MB of heap), so the map allocates it on its first region update.
 *
 * <p>Thread-safety: none; used only by the map's single writer, under the caller's serialisation. The
 * map marks the update as a move (its odd sequence number) around {@link #apply} so readers look again.
 * Does not own the {@link DenseGroups} and {@link PageMap} it is given.
 */
final class PageRegionWriter {
    private static final int REGION = 1 << PageMap.COARSE_SHIFT;
    private final RecordList coarse = new RecordList(REGION);
    private final RecordList fine = new RecordList(1 << PageMap.FINE_SHIFT);
    private final RecordList coarseUpdates = new RecordList(REGION);
    private final RecordList merged = new RecordList(REGION);
    private final GroupUpdate promoted = new GroupUpdate();

    /**
     * Applies {@code updates} (sorted by LBA, unique, all inside coarse page {@code region}, none
     * in a dense group; location 0 removes) to the pages of that region, then promotes groups
     * that reached {@link LbaMap#PROMOTE} records and splits the coarse page if it holds more than
     * {@link LbaMap#COARSE_MAX}. Destinations are written before sources.
     */
    void apply(long region, RecordList updates, DenseGroups dense, PageMap pages) {
        long base = region << PageMap.COARSE_SHIFT;
        coarse.clear();
        long coarseKey = PageMap.COARSE_TAG | region;
        long loaded = pages.load(coarseKey, base, coarse);
        boolean existed = loaded >= 0;
        int oldMask = existed ? (int) loaded : 0;
        int mask = oldMask;
        coarseUpdates.clear();
        int i = 0;
        while (i < updates.size) {
            long fineKey = PageMap.fineKey(updates.lba[i]);
            int j = i + 1;
            while (j < updates.size && PageMap.fineKey(updates.lba[j]) == fineKey) {
                j++;
            }
            int bit = PageMap.rangeBit(updates.lba[i]);
            if ((mask & bit) != 0) {
                long fineBase = (updates.lba[i] >>> PageMap.FINE_SHIFT) << PageMap.FINE_SHIFT;
                fine.clear();
                pages.load(fineKey, fineBase, fine);
                fine.mergeInto(updates, i, j, merged);
                promote(merged, dense);
                pages.store(fineKey, fineBase, 0, merged, 0, merged.size);
                if (merged.size == 0) {
                    mask &= ~bit;
                }
            } else {
                for (int k = i; k < j; k++) {
                    coarseUpdates.addFrom(updates, k);
                }
            }
            i = j;
        }
        if (coarseUpdates.size == 0 && mask == oldMask && existed) {
            return;
        }
        coarse.mergeInto(coarseUpdates, 0, coarseUpdates.size, merged);
        promote(merged, dense);
        while (merged.size > COARSE_MAX) {
            mask |= splitLargestRange(merged, pages);
        }
        if (existed || merged.size > 0 || mask != 0) {
            pages.store(coarseKey, base, mask, merged, 0, merged.size);
        }
    }

    /** Moves the groups of {@code l} that hold at least {@link LbaMap#PROMOTE} records into new dense groups. */
    private void promote(RecordList l, DenseGroups dense) {
        int w = 0;
        int i = 0;
        while (i < l.size) {
            long group = l.lba[i] >>> SHIFT;
            int j = i + 1;
            while (j < l.size && l.lba[j] >>> SHIFT == group) {
                j++;
            }
            if (j - i >= PROMOTE) {
                promoted.reset();
                for (int k = i; k < j; k++) {
                    promoted.put((int) (l.lba[k] & (GROUP - 1)), l.location[k], l.fpHi[k], l.fpLo[k], l.crc[k]);
                }
                dense.insert(group, promoted);
            } else {
                for (int k = i; k < j; k++, w++) {
                    if (w != k) {
                        l.move(k, w);
                    }
                }
            }
            i = j;
        }
        l.size = w;
    }

    /** Writes the fine range of coarse-page list {@code l} with most records to its fine page, drops it from {@code l}; returns its bit. */
    private int splitLargestRange(RecordList l, PageMap pages) {
        int best = 0;
        int bestCount = 0;
        int i = 0;
        int bestFrom = 0;
        while (i < l.size) {
            long range = l.lba[i] >>> PageMap.FINE_SHIFT;
            int j = i + 1;
            while (j < l.size && l.lba[j] >>> PageMap.FINE_SHIFT == range) {
                j++;
            }
            if (j - i > bestCount) {
                bestCount = j - i;
                bestFrom = i;
                best = PageMap.rangeBit(l.lba[i]);
            }
            i = j;
        }
        long lba = l.lba[bestFrom];
        pages.store(PageMap.fineKey(lba), (lba >>> PageMap.FINE_SHIFT) << PageMap.FINE_SHIFT, 0, l, bestFrom, bestFrom + bestCount);
        for (int k = bestFrom + bestCount; k < l.size; k++) {
            l.move(k, k - bestCount);
        }
        l.size -= bestCount;
        return best;
    }
}
