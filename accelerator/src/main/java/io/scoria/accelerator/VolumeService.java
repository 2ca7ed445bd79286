package io.scoria.accelerator;

import io.scoria.backend.metering.RequestLedger;

import java.util.List;
import java.util.Optional;

/**
 * The volumes of one router: create, open, clone and delete. The NBD frontend, the REST API
 * and the CLI use only this interface and {@link Volume}. Thread-safe; one instance per
 * process, closed at shutdown (which closes every open volume).
 */
public interface VolumeService extends AutoCloseable {

    /** Creates an empty volume of project {@link io.scoria.sco.VolumeManifest#DEFAULT_PROJECT}. */
    default VolumeInfo create(String name, VolumeSpec spec) {
        return create(name, spec, io.scoria.sco.VolumeManifest.DEFAULT_PROJECT);
    }

    /**
     * Creates an empty volume in its own backend namespace, belonging to {@code project} (a project name, kept with
     * the volume on the backend so that every router of it answers the same {@link VolumeInfo#project}).
     */
    VolumeInfo create(String name, VolumeSpec spec, String project);

    /** The default number of volumes in one page of {@link #list(String, int)}. */
    int DEFAULT_PAGE = 1000;
    /** The most volumes one page of {@link #list(String, int)} holds. */
    int MAX_PAGE = 10_000;

    /** Every volume, in name order (prefer {@link #list(String, int)} on nodes with many volumes). */
    List<VolumeInfo> list();

    /**
     * Up to {@code limit} volumes whose names sort after {@code after} (null: from the first), in name
     * order, without opening any; the next page starts after the last name returned, so volumes
     * created or deleted between two pages neither shift nor repeat the others. The default pages
     * {@link #list()}; services with a catalogue override it.
     *
     * @throws IllegalArgumentException if {@code limit} is not 1 to {@link #MAX_PAGE}
     */
    default List<VolumeInfo> list(String after, int limit) {
        checkPage(limit);
        return list().stream().filter(v -> after == null || v.name().compareTo(after) > 0).limit(limit).toList();
    }

    /** Checks a page size of {@link #list(String, int)}. */
    static void checkPage(int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be 1 to " + MAX_PAGE + ": " + limit);
        }
    }

    Optional<VolumeInfo> info(String name);

    /**
     * The open volume with that name (opening it, and rebuilding from the backend if local
     * flash lost it, on first use). The returned volume stays owned by the service: callers do
     * not close it.
     *
     * @throws VolumeNotFoundException if no such volume exists
     */
    Volume open(String name);

    /** Deletes a volume and its backend namespace; refused while clones depend on it. */
    void delete(String name);

    /** Makes the volume a read-only template; refused while it has writes in flight. */
    VolumeInfo makeTemplate(String name);

    /**
     * Creates a thin clone of {@code parent} at {@code snapshot} (null: the template's or the
     * volume's latest snapshot) without copying data, in the parent's project.
     */
    default VolumeInfo clone(String parent, String snapshot, String cloneName) {
        return clone(parent, snapshot, cloneName, null);
    }

    /**
     * As {@link #clone(String, String, String)}, the clone belonging to {@code project} (null: the parent's; a
     * pool's desktops belong to the pool's project, whoever owns its template).
     */
    VolumeInfo clone(String parent, String snapshot, String cloneName, String project);

    /**
     * A read-only view of {@code volume} as it was at {@code snapshot}, without cloning it (for
     * backups and snapshot exports). The caller owns the returned volume and closes it; it stays
     * readable while the snapshot exists and no scrub removed the SCOs it reads.
     *
     * @throws VolumeNotFoundException if the volume or the snapshot does not exist
     */
    Volume openSnapshot(String volume, String snapshot);

    /**
     * The ranges of {@code volume} changed after snapshot {@code from} up to and including snapshot
     * {@code to} (writes, zeroes, trims; for incremental backups), within {@code [start, start + length)},
     * at most {@code limit} ranges; {@link ChangedRanges#next()} says where to continue.
     *
     * @throws VolumeNotFoundException  if the volume or a snapshot does not exist
     * @throws IllegalArgumentException if {@code from} is not older than {@code to}, or the window or limit is bad
     */
    ChangedRanges changes(String volume, String from, String to, long start, long length, int limit);

    /**
     * Changes the volume's size to {@code sizeBytes} (a multiple of its cluster size), also while it is
     * open and in use. Growing always succeeds; shrinking is refused unless {@code force} is set and no
     * write in the volume's history (current data, snapshots, inherited ranges) touches the range cut off.
     * Clients see the new size when they next connect.
     *
     * @throws IllegalArgumentException   if the size is not a positive multiple of the cluster size
     * @throws VolumeConflictException    if a shrink is refused (without {@code force}, or data is there)
     */
    VolumeInfo resize(String name, long sizeBytes, boolean force);

    /** Discards a clone's own writes, returning it to its parent's snapshot. */
    VolumeInfo resetToParent(String clone);

    /**
     * One step of hydrating {@code clone}: of the clusters from {@code fromCluster} on, copies up to
     * {@code maxClusters} that the clone still reads from its parent chain into the clone's own history
     * (as the clone's own writes of the same bytes: readers see no change). A cluster the clone wrote
     * itself, before or while the step runs, is never overwritten. Runs next to the clone's I/O.
     *
     * @throws VolumeNotFoundException  if there is no such volume
     * @throws VolumeConflictException  if the volume is not a clone, or is read-only
     * @throws IllegalArgumentException if {@code fromCluster} is outside the volume or {@code maxClusters < 1}
     */
    default HydrationStep hydrate(String clone, long fromCluster, int maxClusters) {
        throw new UnsupportedOperationException("this volume service does not hydrate clones");
    }

    /**
     * Cuts the parent link of a hydrated clone (persisted on the backend before this returns), so that
     * its template may be deleted while the clone keeps all its data.
     *
     * @throws VolumeConflictException if the clone still reads clusters from its parent, or has
     *                                 snapshots taken before it was hydrated, or is not a clone
     */
    default VolumeInfo flatten(String clone) {
        throw new UnsupportedOperationException("this volume service does not flatten clones");
    }

    /**
     * The request counters of the backend the volumes live on (per store and namespace), when
     * it counts them ({@link io.scoria.backend.metering.CountingObjectStore}); services that
     * wrap another one pass its answer on.
     */
    default Optional<RequestLedger> backendRequests() {
        return Optional.empty();
    }

    @Override
    void close();
}
