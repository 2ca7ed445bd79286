package io.scoria.sco;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The state of one volume's namespace on the backend (FORMATS.md, "Volume manifest"): config,
 * parent for clones, template flag, ordered snapshots with their TLogs, and the TLogs written
 * since the last snapshot. Immutable; the {@code with*} methods return changed copies.
 *
 * @param schemaVersion   {@link #SCHEMA_VERSION}; versions 1 (no {@code volumeId}, no {@code project}) and 2 (no
 *                        {@code project}) are read and upgraded in memory; readers refuse any other value
 * @param generation      increases by one with every replacement on the backend
 * @param name            the volume's name
 * @param config          size, cluster size, SCO size and namespace
 * @param parent          for a clone: the parent's namespace and snapshot; else null
 * @param template        read-only template
 * @param snapshots       oldest first; each holds the TLogs written after the previous one
 * @param currentTlogs    sealed TLogs after the last snapshot, in order
 * @param nextScoNumber   lower bound for the next SCO number
 * @param nextTlogNumber  lower bound for the next TLog number
 * @param nextSnapshotId  next snapshot id
 * @param volumeId        128 random bits (32 hex digits) made when the volume (or clone) was created: two volumes
 *                        that share a name one after the other, or in two deployments, never share it; null for a
 *                        volume created before schema version 2
 * @param project         the project (tenant) the volume belongs to, {@link #PROJECT_PATTERN}; a clone's is its
 *                        parent's unless it was made for another project (a pool's desktops); {@link #DEFAULT_PROJECT}
 *                        for a volume created before schema version 3. It travels with the volume: every router of
 *                        the backend, a router rebuilt from the backend and a replica see the same project
 */
public record VolumeManifest(int schemaVersion, long generation, String name, Config config, Parent parent,
                             boolean template, List<Snapshot> snapshots, List<Long> currentTlogs,
                             long nextScoNumber, long nextTlogNumber, long nextSnapshotId, String volumeId,
                             String project) {
    public static final int SCHEMA_VERSION = 3;
    /** The first schema version, without {@code volumeId}; read and upgraded. */
    public static final int SCHEMA_VERSION_1 = 1;
    /** The second schema version, with {@code volumeId} and without {@code project}; read and upgraded. */
    public static final int SCHEMA_VERSION_2 = 2;
    /** What project names match: 1-63 of {@code a-z}, {@code 0-9} and {@code -}, starting with a letter or digit. */
    public static final String PROJECT_PATTERN = "[a-z0-9][a-z0-9-]{0,62}";
    /** The project of volumes whose manifest names none (made before schema version 3). */
    public static final String DEFAULT_PROJECT = "default";
    private static final java.util.regex.Pattern VOLUME_ID = java.util.regex.Pattern.compile("[0-9a-f]{32}");
    private static final java.util.regex.Pattern PROJECT = java.util.regex.Pattern.compile(PROJECT_PATTERN);
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** Volume geometry and backend namespace. */
    public record Config(long sizeBytes, int clusterSize, int scoSize, String namespace) {
        public Config {
            Objects.requireNonNull(namespace, "namespace");
            if (clusterSize < 4096 || clusterSize > 65536 || Integer.bitCount(clusterSize) != 1) {
                throw new IllegalArgumentException("clusterSize must be a power of two from 4 KiB to 64 KiB: " + clusterSize);
            }
            if (sizeBytes <= 0 || sizeBytes % clusterSize != 0) {
                throw new IllegalArgumentException("sizeBytes must be a positive multiple of clusterSize: " + sizeBytes);
            }
            if (scoSize < clusterSize || scoSize % clusterSize != 0 || scoSize / clusterSize > ClusterLocation.MAX_OFFSET + 1) {
                throw new IllegalArgumentException("scoSize must be a multiple of clusterSize holding at most "
                        + (ClusterLocation.MAX_OFFSET + 1) + " clusters: " + scoSize);
            }
        }

        public long clusters() {
            return sizeBytes / clusterSize;
        }
    }

    /** The parent namespace and snapshot a clone starts from. */
    public record Parent(String namespace, String volume, String snapshot, long snapshotId) {
        public Parent {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(volume, "volume");
            Objects.requireNonNull(snapshot, "snapshot");
        }
    }

    /** One snapshot: the TLogs written since the previous snapshot end with its marker. */
    public record Snapshot(String name, long id, long createdMillis, List<Long> tlogs, boolean scrubbed) {
        public Snapshot {
            Objects.requireNonNull(name, "name");
            tlogs = List.copyOf(tlogs);
        }
    }

    public VolumeManifest {
        boolean upgraded = schemaVersion == SCHEMA_VERSION_1 && volumeId == null && project == null
                || schemaVersion == SCHEMA_VERSION_2 && project == null;
        if (upgraded) {
            schemaVersion = SCHEMA_VERSION; // the next write is version 3, without an id if it had none
            project = DEFAULT_PROJECT;
        }
        if (schemaVersion != SCHEMA_VERSION) {
            throw new ScoFormatException("volume manifest schema version " + schemaVersion + " is not supported (this build reads "
                    + SCHEMA_VERSION_1 + ", " + SCHEMA_VERSION_2 + " and " + SCHEMA_VERSION + ")");
        }
        if (project == null || !PROJECT.matcher(project).matches()) {
            throw new ScoFormatException("volume manifest project must match " + PROJECT_PATTERN + ": '" + project + "'");
        }
        if (volumeId != null && !VOLUME_ID.matcher(volumeId).matches()) {
            throw new ScoFormatException("volume manifest volumeId must be 32 lower-case hex digits: '" + volumeId + "'");
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        snapshots = List.copyOf(snapshots == null ? List.of() : snapshots);
        currentTlogs = List.copyOf(currentTlogs == null ? List.of() : currentTlogs);
    }

    /** A new volume of project {@link #DEFAULT_PROJECT}. */
    public static VolumeManifest create(String name, Config config) {
        return create(name, config, DEFAULT_PROJECT);
    }

    /** A new volume of {@code project} (generation 0, a new {@link #volumeId}). */
    public static VolumeManifest create(String name, Config config, String project) {
        return new VolumeManifest(SCHEMA_VERSION, 0, name, config, null, false, List.of(), List.of(), 1, 1, 1,
                newVolumeId(), project);
    }

    /** {@code project} if it is a project name ({@link #PROJECT_PATTERN}); else an {@link IllegalArgumentException} naming it. */
    public static String checkProject(String project) {
        if (project == null || !PROJECT.matcher(project).matches()) {
            throw new IllegalArgumentException("project name '" + project + "' must match " + PROJECT_PATTERN);
        }
        return project;
    }

    /** 128 random bits as 32 lower-case hex digits. */
    public static String newVolumeId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    public VolumeManifest withGeneration(long g) {
        return new VolumeManifest(schemaVersion, g, name, config, parent, template, snapshots, currentTlogs,
                nextScoNumber, nextTlogNumber, nextSnapshotId, volumeId, project);
    }

    public VolumeManifest withParent(Parent p) {
        return new VolumeManifest(schemaVersion, generation, name, config, p, template, snapshots, currentTlogs,
                nextScoNumber, nextTlogNumber, nextSnapshotId, volumeId, project);
    }

    /** The same manifest with the volume's size changed (online resize); same schema version. */
    public VolumeManifest withSize(long sizeBytes) {
        return new VolumeManifest(schemaVersion, generation, name, new Config(sizeBytes, config.clusterSize(), config.scoSize(),
                config.namespace()), parent, template, snapshots, currentTlogs, nextScoNumber, nextTlogNumber, nextSnapshotId,
                volumeId, project);
    }

    public VolumeManifest withTemplate(boolean t) {
        return new VolumeManifest(schemaVersion, generation, name, config, parent, t, snapshots, currentTlogs,
                nextScoNumber, nextTlogNumber, nextSnapshotId, volumeId, project);
    }

    public VolumeManifest withHistory(List<Snapshot> snaps, List<Long> current) {
        return new VolumeManifest(schemaVersion, generation, name, config, parent, template, snaps, current,
                nextScoNumber, nextTlogNumber, nextSnapshotId, volumeId, project);
    }

    public VolumeManifest withCounters(long nextSco, long nextTlog, long nextSnap) {
        return new VolumeManifest(schemaVersion, generation, name, config, parent, template, snapshots, currentTlogs,
                nextSco, nextTlog, nextSnap, volumeId, project);
    }

    /** Appends a sealed TLog to {@link #currentTlogs()}. */
    public VolumeManifest withTlog(long tlog) {
        List<Long> cur = new ArrayList<>(currentTlogs);
        cur.add(tlog);
        return withHistory(snapshots, cur);
    }

    /** Turns the current TLogs into a new snapshot. */
    public VolumeManifest withSnapshot(String snapName, long id, long createdMillis) {
        List<Snapshot> snaps = new ArrayList<>(snapshots);
        snaps.add(new Snapshot(snapName, id, createdMillis, currentTlogs, false));
        return withHistory(snaps, List.of());
    }

    public Snapshot snapshot(String snapName) {
        for (Snapshot s : snapshots) {
            if (s.name().equals(snapName)) {
                return s;
            }
        }
        return null;
    }

    /** Every TLog of the volume's own history in order (snapshots first, then current). */
    public List<Long> allTlogs() {
        List<Long> all = new ArrayList<>();
        for (Snapshot s : snapshots) {
            all.addAll(s.tlogs());
        }
        all.addAll(currentTlogs);
        return all;
    }

    /** The TLogs up to and including snapshot {@code snapName}. */
    public List<Long> tlogsThrough(String snapName) {
        List<Long> all = new ArrayList<>();
        for (Snapshot s : snapshots) {
            all.addAll(s.tlogs());
            if (s.name().equals(snapName)) {
                return all;
            }
        }
        throw new IllegalArgumentException("volume '" + name + "' has no snapshot '" + snapName + "'");
    }

    /**
     * This manifest restricted to TLogs numbered at most {@code uploadedThrough}: what may be
     * published on the backend while later TLogs are still uploading.
     */
    public VolumeManifest restrictedTo(long uploadedThrough) {
        List<Snapshot> snaps = new ArrayList<>();
        List<Long> pending = new ArrayList<>();
        for (Snapshot s : snapshots) {
            boolean all = s.tlogs().stream().allMatch(t -> isUploaded(t, uploadedThrough));
            if (!all) {
                s.tlogs().stream().filter(t -> isUploaded(t, uploadedThrough)).forEach(pending::add);
                break;
            }
            snaps.add(s);
        }
        if (snaps.size() == snapshots.size()) {
            currentTlogs.stream().filter(t -> isUploaded(t, uploadedThrough)).forEach(pending::add);
        }
        return withHistory(snaps, pending);
    }

    /**
     * True when TLog {@code tlog} is on the backend given that the router's own TLogs are
     * uploaded through {@code uploadedThrough}: TLogs written by a scrub
     * ({@link ScrubbedTlogs}) are on the backend before a manifest names them.
     */
    public static boolean isUploaded(long tlog, long uploadedThrough) {
        return tlog <= uploadedThrough || ScrubbedTlogs.isScrubOutput(tlog);
    }

    /** The highest number among the router's own TLogs (scrub outputs excluded), or 0. */
    public long lastRouterTlog() {
        return allTlogs().stream().mapToLong(Long::longValue)
                .filter(t -> !ScrubbedTlogs.isScrubOutput(t)).max().orElse(0);
    }
}
