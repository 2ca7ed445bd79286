package io.scoria.accelerator.api;

import io.scoria.accelerator.control.Project;

import java.time.Instant;
import java.util.Objects;

/**
 * What is known of a bearer token besides its secret: its id, role, creation time and project. A token
 * of a project sees and changes only that project's volumes, hosts and tokens; a token of
 * {@link #ALL_PROJECTS} ({@code *}: the router's {@code admin.token}, tokens made before projects) sees
 * every project and alone may make cluster-wide calls (nodes, cluster, distributor, pools, metrics).
 * Immutable.
 */
public record TokenInfo(String id, Role role, Instant created, String project) {
    /** The project of a cluster-wide token. */
    public static final String ALL_PROJECTS = "*";

    public TokenInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(project, "project");
        if (!project.equals(ALL_PROJECTS)) {
            new Project(project);
        }
    }

    /** Whether this token reaches every project. */
    public boolean allProjects() {
        return project.equals(ALL_PROJECTS);
    }

    /** Whether this token may see and change what belongs to {@code other}. */
    public boolean reaches(String other) {
        return allProjects() || project.equals(other);
    }
}
