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

    /** Creates an empty volume in its own backend namespace. */
    VolumeInfo create(String name, VolumeSpec spec);

    List<VolumeInfo> list();

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
     * volume's latest snapshot) without copying data.
     */
    VolumeInfo clone(String parent, String snapshot, String cloneName);

    /** Discards a clone's own writes, returning it to its parent's snapshot. */
    VolumeInfo resetToParent(String clone);

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
