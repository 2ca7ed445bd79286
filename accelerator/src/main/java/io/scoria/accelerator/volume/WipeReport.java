package io.scoria.accelerator.volume;

import java.util.List;
import java.util.Objects;

/**
 * What is left of a deleted volume: objects of its namespace on the backend and files on this node's
 * flash (its directory, its SCO cache directory). Immutable.
 *
 * @param backendObjects keys of objects still in the namespace (at most {@link #MAX_LISTED})
 * @param localPaths     paths under the data directory that still exist
 */
public record WipeReport(String volume, boolean namespaceExists, List<String> backendObjects, List<String> localPaths) {
    /** Most object keys a report names. */
    public static final int MAX_LISTED = 100;

    public WipeReport {
        Objects.requireNonNull(volume, "volume");
        backendObjects = List.copyOf(backendObjects);
        localPaths = List.copyOf(localPaths);
    }

    /** True if nothing of the volume is left. */
    public boolean clean() {
        return !namespaceExists && backendObjects.isEmpty() && localPaths.isEmpty();
    }
}
