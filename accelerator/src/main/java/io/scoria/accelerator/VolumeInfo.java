package io.scoria.accelerator;

import java.util.Objects;

/**
 * What the API shows about a volume.
 *
 * @param parent         parent volume of a clone, else null
 * @param parentSnapshot snapshot of the parent the clone started from, else null
 * @param state          OK, or DEGRADED while the fail-over cache is unreachable
 */
public record VolumeInfo(String name, String namespace, VolumeSpec spec, boolean template, String parent,
                         String parentSnapshot, String state) {
    public VolumeInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(state, "state");
    }
}
