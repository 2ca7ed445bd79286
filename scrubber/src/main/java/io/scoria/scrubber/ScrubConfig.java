package io.scoria.scrubber;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one scrub run does.
 *
 * @param namespace      the volume namespace to scrub
 * @param snapshots      names of the snapshots to scrub; empty: every snapshot on the backend
 *                       that is not scrubbed yet
 * @param liveThreshold  a SCO whose live fraction is below this is rewritten (0 < t <= 1)
 * @param scratchDir     local scratch space: downloaded TLogs, the LBA bitmap (volume clusters
 *                       / 8 bytes) and the TLogs being written; deleted at the end
 * @param leaseTtl       how long the namespace lease is valid without renewal
 */
public record ScrubConfig(String namespace, List<String> snapshots, double liveThreshold, Path scratchDir,
                          Duration leaseTtl) {
    public static final double DEFAULT_THRESHOLD = 0.5;
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofMinutes(2);

    public ScrubConfig {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(scratchDir, "scratchDir");
        Objects.requireNonNull(leaseTtl, "leaseTtl");
        snapshots = List.copyOf(snapshots == null ? List.of() : snapshots);
        if (!(liveThreshold > 0 && liveThreshold <= 1)) {
            throw new IllegalArgumentException("liveThreshold must be in (0, 1]: " + liveThreshold);
        }
        if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("leaseTtl must be at least 1 s: " + leaseTtl);
        }
    }

    public static ScrubConfig of(String namespace, Path scratchDir) {
        return new ScrubConfig(namespace, List.of(), DEFAULT_THRESHOLD, scratchDir, DEFAULT_LEASE_TTL);
    }

    public ScrubConfig withThreshold(double threshold) {
        return new ScrubConfig(namespace, snapshots, threshold, scratchDir, leaseTtl);
    }

    public ScrubConfig withSnapshots(List<String> names) {
        return new ScrubConfig(namespace, names, liveThreshold, scratchDir, leaseTtl);
    }

    public ScrubConfig withLeaseTtl(Duration ttl) {
        return new ScrubConfig(namespace, snapshots, liveThreshold, scratchDir, ttl);
    }
}
