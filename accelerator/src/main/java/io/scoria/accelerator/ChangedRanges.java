package io.scoria.accelerator;

import java.util.List;
import java.util.Objects;

/**
 * The byte ranges of a volume whose clusters were written, zeroed or trimmed after snapshot
 * {@code from} up to and including snapshot {@code to} (see {@link VolumeService#changes}):
 * sorted, merged, cluster-aligned, within the window asked for. An incremental backup copies these
 * ranges from the {@code to} snapshot. Immutable.
 *
 * @param volume      the volume
 * @param from        the older snapshot
 * @param to          the newer snapshot
 * @param clusterSize the volume's cluster size (every range is a multiple of it)
 * @param ranges      at most the limit asked for, in order
 * @param next        the byte offset to ask from for the ranges that did not fit, or -1 if there are none
 */
public record ChangedRanges(String volume, String from, String to, int clusterSize, List<Range> ranges, long next) {
    public ChangedRanges {
        Objects.requireNonNull(volume, "volume");
        ranges = List.copyOf(ranges);
    }

    /** {@code length} bytes from {@code offset}. */
    public record Range(long offset, long length) {
    }
}
