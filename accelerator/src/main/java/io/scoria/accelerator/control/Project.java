package io.scoria.accelerator.control;

import io.scoria.sco.VolumeManifest;

import java.util.Objects;

/**
 * A project (tenant): volumes, hosts, pools and API tokens belong to one. Project names are 1-63 lower-case
 * letters, digits and dashes, starting with a letter or digit (the rule of the volume manifest, which keeps a
 * volume's project on the backend); {@link #DEFAULT} is the project of everything made before projects existed
 * (an entry without a project in a control file, a manifest of schema version 1 or 2). Immutable.
 */
public record Project(String name) {
    /** The project of volumes, hosts, pools and tokens that name none. */
    public static final String DEFAULT = VolumeManifest.DEFAULT_PROJECT;
    /** What project names match. */
    public static final String NAME_PATTERN = VolumeManifest.PROJECT_PATTERN;

    public Project {
        Objects.requireNonNull(name, "name");
        VolumeManifest.checkProject(name);
    }

    /** {@code name} checked, or {@link #DEFAULT} if it is null (an entry written before projects). */
    public static String orDefault(String name) {
        return name == null ? DEFAULT : new Project(name).name();
    }
}
