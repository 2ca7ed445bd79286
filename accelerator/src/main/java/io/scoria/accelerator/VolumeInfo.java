package io.scoria.accelerator;

import io.scoria.sco.VolumeManifest;

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
 * @param cloneState     of a clone: {@link #THIN} while it reads clusters from its parent chain, {@link #INDEPENDENT}
 *                       once every cluster it reads is its own (after {@code clone hydrate}; {@code clone flatten} may
 *                       then cut the parent link); null for a volume that is not a clone, or a clone not open on this
 *                       router (not known without its map)
 * @param project        the project (tenant) the volume belongs to, as its backend manifest names it
 *                       ({@link VolumeManifest#DEFAULT_PROJECT} for one made before projects)
 */
public record VolumeInfo(String name, String namespace, VolumeSpec spec, boolean template, String parent,
                         String parentSnapshot, String state, String volumeId, String cloneState, String project) {
    /** A clone that reads clusters from its parent chain. */
    public static final String THIN = "THIN";
    /** A clone whose clusters are all its own (its parent link may be cut: flatten). */
    public static final String INDEPENDENT = "INDEPENDENT";

    public VolumeInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(state, "state");
        if (cloneState != null && !cloneState.equals(THIN) && !cloneState.equals(INDEPENDENT)) {
            throw new IllegalArgumentException("cloneState must be THIN, INDEPENDENT or null: " + cloneState);
        }
        Objects.requireNonNull(project, "project");
    }

    /** A volume of project {@link VolumeManifest#DEFAULT_PROJECT}. */
    public VolumeInfo(String name, String namespace, VolumeSpec spec, boolean template, String parent,
                      String parentSnapshot, String state, String volumeId, String cloneState) {
        this(name, namespace, spec, template, parent, parentSnapshot, state, volumeId, cloneState,
                VolumeManifest.DEFAULT_PROJECT);
    }

    /** A volume whose clone state is not known or that is not a clone. */
    public VolumeInfo(String name, String namespace, VolumeSpec spec, boolean template, String parent,
                      String parentSnapshot, String state, String volumeId) {
        this(name, namespace, spec, template, parent, parentSnapshot, state, volumeId, null);
    }

    /** A volume without a unique id (test volumes; volumes created before ids). */
    public VolumeInfo(String name, String namespace, VolumeSpec spec, boolean template, String parent,
                      String parentSnapshot, String state) {
        this(name, namespace, spec, template, parent, parentSnapshot, state, null, null);
    }

    /** The same volume in another state. */
    public VolumeInfo withState(String newState) {
        return new VolumeInfo(name, namespace, spec, template, parent, parentSnapshot, newState, volumeId, cloneState,
                project);
    }
}
