package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.dedup.Fingerprinter;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link LocalVolumeService}; validated on construction. Settings only: the
 * per-volume write hooks are handed to the service ({@link io.scoria.accelerator.WriteListener.Factory}).
 *
 * @param dataDir            local flash directory (volumes, SCO cache, cluster cache)
 * @param scoCacheBytes      byte budget of the local SCO cache (open + sealed SCOs)
 * @param clusterCacheBytes  byte budget of the shared cluster cache slab
 * @param cacheSlotSize      cluster size the cluster cache holds; volumes with another cluster size bypass it
 * @param scosPerTlog        a TLog is rolled after this many sealed SCOs
 * @param cacheMode          default cache mode of a volume
 * @param fingerprinter      cluster fingerprint function (XXH3-128; tests inject collisions)
 * @param retryMin           first retry delay of a failed upload
 * @param retryMax           largest retry delay
 * @param readAheadBytes     window of coalesced cold reads from backend SCOs ({@link BackendReadAhead}): a
 *                           power of two from 64 KiB to 16 MiB, or 0 to read each missed cluster alone
 * @param maxTlogAge         a TLog holding a write this old is rolled ({@link TlogAgeLimit}); zero: only by size
 */
public record EngineConfig(Path dataDir, long scoCacheBytes, long clusterCacheBytes, int cacheSlotSize, int scosPerTlog,
                           CacheMode cacheMode, Fingerprinter fingerprinter, Duration retryMin, Duration retryMax, int readAheadBytes,
                           Duration maxTlogAge) {
    /** The default read-ahead window: one distributor mega-block. */
    public static final int DEFAULT_READ_AHEAD = 1 << 20;
    /** The default age limit of a TLog's oldest write. */
    public static final Duration DEFAULT_MAX_TLOG_AGE = Duration.ofSeconds(60);

    public EngineConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(cacheMode, "cacheMode");
        Objects.requireNonNull(fingerprinter, "fingerprinter");
        Objects.requireNonNull(retryMin, "retryMin");
        Objects.requireNonNull(retryMax, "retryMax");
        if (scoCacheBytes < (1 << 20)) {
            throw new IllegalArgumentException("scoCacheBytes must be at least 1 MiB: " + scoCacheBytes);
        }
        if (clusterCacheBytes < cacheSlotSize) {
            throw new IllegalArgumentException("clusterCacheBytes must hold at least one slot: " + clusterCacheBytes);
        }
        if (scosPerTlog < 1 || scosPerTlog > 1024) {
            throw new IllegalArgumentException("scosPerTlog must be 1..1024: " + scosPerTlog);
        }
        if (readAheadBytes != 0 && (readAheadBytes < (64 << 10) || readAheadBytes > (16 << 20)
                || Integer.bitCount(readAheadBytes) != 1)) {
            throw new IllegalArgumentException("readAheadBytes must be 0 or a power of two from 64 KiB to 16 MiB: "
                    + readAheadBytes);
        }
        Objects.requireNonNull(maxTlogAge, "maxTlogAge");
        if (maxTlogAge.isNegative()) {
            throw new IllegalArgumentException("maxTlogAge must not be negative: " + maxTlogAge);
        }
        if (retryMin.isNegative() || retryMax.compareTo(retryMin) < 0) {
            throw new IllegalArgumentException("retryMin must be >= 0 and <= retryMax: " + retryMin + ", " + retryMax);
        }
    }

    /** Defaults: 1 GiB SCO cache, 256 MiB cluster cache of 4 KiB slots, 16 SCOs per TLog, cache on write, 1 MiB read-ahead,
     * TLogs rolled when their oldest write is 60 s old. */
    public static EngineConfig defaults(Path dataDir) {
        return new EngineConfig(dataDir, 1L << 30, 256L << 20, 4096, 16, CacheMode.CACHE_ON_WRITE,
                Fingerprinter.XXH3_128, Duration.ofMillis(50), Duration.ofSeconds(5), DEFAULT_READ_AHEAD,
                DEFAULT_MAX_TLOG_AGE);
    }

    public EngineConfig withScoCacheBytes(long v) {
        return new EngineConfig(dataDir, v, clusterCacheBytes, cacheSlotSize, scosPerTlog, cacheMode, fingerprinter, retryMin, retryMax, readAheadBytes, maxTlogAge);
    }

    public EngineConfig withClusterCacheBytes(long v) {
        return new EngineConfig(dataDir, scoCacheBytes, v, cacheSlotSize, scosPerTlog, cacheMode, fingerprinter, retryMin, retryMax, readAheadBytes, maxTlogAge);
    }

    public EngineConfig withScosPerTlog(int v) {
        return new EngineConfig(dataDir, scoCacheBytes, clusterCacheBytes, cacheSlotSize, v, cacheMode, fingerprinter, retryMin, retryMax, readAheadBytes, maxTlogAge);
    }

    public EngineConfig withCacheMode(CacheMode v) {
        return new EngineConfig(dataDir, scoCacheBytes, clusterCacheBytes, cacheSlotSize, scosPerTlog, v, fingerprinter, retryMin, retryMax, readAheadBytes, maxTlogAge);
    }

    public EngineConfig withFingerprinter(Fingerprinter v) {
        return new EngineConfig(dataDir, scoCacheBytes, clusterCacheBytes, cacheSlotSize, scosPerTlog, cacheMode, v, retryMin, retryMax, readAheadBytes, maxTlogAge);
    }

    public EngineConfig withReadAheadBytes(int v) {
        return new EngineConfig(dataDir, scoCacheBytes, clusterCacheBytes, cacheSlotSize, scosPerTlog, cacheMode, fingerprinter, retryMin, retryMax, v, maxTlogAge);
    }

    public EngineConfig withMaxTlogAge(Duration v) {
        return new EngineConfig(dataDir, scoCacheBytes, clusterCacheBytes, cacheSlotSize, scosPerTlog, cacheMode, fingerprinter, retryMin, retryMax, readAheadBytes, v);
    }

    public EngineConfig withRetry(Duration min, Duration max) {
        return new EngineConfig(dataDir, scoCacheBytes, clusterCacheBytes, cacheSlotSize, scosPerTlog, cacheMode, fingerprinter, min, max, readAheadBytes, maxTlogAge);
    }
}
