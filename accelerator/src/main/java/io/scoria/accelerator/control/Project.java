package io.scoria.accelerator.control;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A project (tenant): volumes, hosts and API tokens belong to one. Project names are 1-63 lower-case
 * letters, digits and dashes, starting with a letter or digit; {@link #DEFAULT} is the project of
 * everything made before projects existed (an entry without a project in a control file). Immutable.
 */
public record Project(String name) {
    /** The project of volumes, hosts and tokens that name none. */
    public static final String DEFAULT = "default";
    /** What project names match. */
    public static final String NAME_PATTERN = "[a-z0-9][a-z0-9-]{0,62}";
    private static final Pattern NAME = Pattern.compile(NAME_PATTERN);

    public Project {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("project name '" + name + "' must match " + NAME_PATTERN);
        }
    }

    /** {@code name} checked, or {@link #DEFAULT} if it is null (an entry written before projects). */
    public static String orDefault(String name) {
        return name == null ? DEFAULT : new Project(name).name();
    }
}
