package io.scoria.accelerator;

import java.util.Objects;

/**
 * What the API shows about a volume.
 *
 * @param parent         parent volume of a clone, else null
 * @param parentSnapshot snapshot of the parent the clone started from, else null
 * @param state          OK; DEGRADED while the fail-over cache is unreachable; REPLICA for a read-only replica; FENCED
 *                       when another site took the volume over (or the FOC fenced it)
 * @param volumeId       the volume's unique id (32 hex digits, made at creation; a later volume of the same name has
 *                       another), or null for a volume created before volumes had one
 */
public record VolumeInfo(String name, String namespace, VolumeSpec spec, boolean template, String parent,
                         String parentSnapshot, String state, String volumeId) {
    public VolumeInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(state, "state");
    }

    /** A volume without a unique id (test volumes; volumes created before ids). */
    public VolumeInfo(String name, String namespace, VolumeSpec spec, boolean template, String parent,
                      String parentSnapshot, String state) {
        this(name, namespace, spec, template, parent, parentSnapshot, state, null);
    }

    /** The same volume in another state. */
    public VolumeInfo withState(String newState) {
        return new VolumeInfo(name, namespace, spec, template, parent, parentSnapshot, newState, volumeId);
    }
}
