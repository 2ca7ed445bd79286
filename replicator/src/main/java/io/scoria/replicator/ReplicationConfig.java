package io.scoria.replicator;

import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.config.Durations;
import io.scoria.backend.config.Sizes;
import io.scoria.distributor.config.BackendConfig;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A replication job's configuration file, read by the shared {@link ConfigReader} (unknown keys
 * refused with their path, relative paths from the file's directory, secrets from files or
 * environment variables):
 *
 * <pre>
 * source: { type: s3, s3: { endpoint: http://site-a:9000, accessKey: ..., secretKey: {file: a.secret} } }
 * target: { type: s3, s3: { endpoint: http://site-b:9000, accessKey: ..., secretKey: {env: B_SECRET} } }
 * replication:                 # optional; every key has a default
 *   volumes: [vm1, vm2]        # or
 *   pattern: "vm*"             # a glob over volume names (default: every volume)
 *   mode: continuous           # continuous (every sealed TLog) | snapshot (up to the last snapshot)
 *   pollInterval: 5s
 *   bandwidthLimit: 100MiB     # per second, over all volumes; 0 = unlimited
 *   parallelism: 4             # SCOs in flight per volume
 * </pre>
 *
 * Immutable; validated on construction.
 */
public record ReplicationConfig(BackendConfig source, BackendConfig target, Replication replication) {
    public ReplicationConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(replication, "replication");
    }

    /** What to replicate and how; see the class comment for keys and defaults. */
    public record Replication(List<String> volumes, String pattern, String mode, String pollInterval,
                              String bandwidthLimit, Integer parallelism) {
        public Replication {
            volumes = List.copyOf(volumes == null ? List.of() : volumes);
            pattern = pattern == null ? "*" : pattern;
            mode = mode == null ? "continuous" : mode.toLowerCase(Locale.ROOT);
            pollInterval = pollInterval == null ? "5s" : pollInterval;
            bandwidthLimit = bandwidthLimit == null ? "0" : bandwidthLimit;
            parallelism = parallelism == null ? 4 : parallelism;
            if (!mode.equals("continuous") && !mode.equals("snapshot")) {
                throw new ConfigException("mode", "must be continuous or snapshot: " + mode);
            }
            if (parallelism < 1 || parallelism > 64) {
                throw new ConfigException("parallelism", "must be 1..64: " + parallelism);
            }
            if (Durations.parse("pollInterval", pollInterval).toMillis() < 100) {
                throw new ConfigException("pollInterval", "must be at least 100ms: " + pollInterval);
            }
            Sizes.parse("bandwidthLimit", bandwidthLimit);
            if (pattern.isEmpty() || pattern.contains("/")) {
                throw new ConfigException("pattern", "must be a non-empty glob over volume names: " + pattern);
            }
        }

        public static Replication defaults() {
            return new Replication(null, null, null, null, null, null);
        }

        public boolean snapshotMode() {
            return mode.equals("snapshot");
        }

        public Duration poll() {
            return Durations.parse("replication.pollInterval", pollInterval);
        }

        public long bytesPerSecond() {
            return Sizes.parse("replication.bandwidthLimit", bandwidthLimit);
        }

        /** True when volume {@code name} is selected by {@link #volumes} (when given) or {@link #pattern}. */
        public boolean selects(String name) {
            if (!volumes.isEmpty()) {
                return volumes.contains(name);
            }
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            return m.matches(Path.of(name));
        }

        public Replication withVolumes(List<String> names) {
            return new Replication(names, pattern, mode, pollInterval, bandwidthLimit, parallelism);
        }

        public Replication withPattern(String glob) {
            return new Replication(List.of(), glob, mode, pollInterval, bandwidthLimit, parallelism);
        }

        public Replication withMode(String m) {
            return new Replication(volumes, pattern, m, pollInterval, bandwidthLimit, parallelism);
        }

        public Replication withBandwidthLimit(String limit) {
            return new Replication(volumes, pattern, mode, pollInterval, limit, parallelism);
        }
    }

    /** Reads the {@code source:}, {@code target:} and optional {@code replication:} sections of {@code file}. */
    public static ReplicationConfig read(Path file) {
        ConfigReader r = ConfigReader.read(file);
        Replication rep = r.has("replication") ? r.section("replication", Replication.class) : Replication.defaults();
        return new ReplicationConfig(r.section("source", BackendConfig.class), r.section("target", BackendConfig.class), rep);
    }
}
