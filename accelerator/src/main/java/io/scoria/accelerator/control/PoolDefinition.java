package io.scoria.accelerator.control;

import io.scoria.backend.Names;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A pool of desktops: {@code size} clones named {@code prefix1..prefixN} of {@code template} at
 * {@code snapshot}, with a {@link PoolPolicy}, belonging to {@code project} (null when read from a file
 * written before pools had projects: {@link Project#DEFAULT}); its desktops belong to the same project.
 * Immutable, validated; names are checked as volume names.
 */
public record PoolDefinition(String name, String template, String snapshot, int size, String prefix, PoolPolicy policy,
                             String project) {
    /** The most desktops in one pool. */
    public static final int MAX_SIZE = 10_000;

    public PoolDefinition {
        check("pool name", name);
        check("template", template);
        if (snapshot == null || snapshot.isBlank()) {
            throw new IllegalArgumentException("pool " + name + ": the template snapshot is required");
        }
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("pool " + name + ": size must be 1-" + MAX_SIZE + ": " + size);
        }
        if (prefix == null || prefix.isBlank()) {
            throw new IllegalArgumentException("pool " + name + ": prefix is required");
        }
        check("desktop name", prefix + size);
        Objects.requireNonNull(policy, "policy");
        project = Project.orDefault(project);
    }

    private static void check(String what, String value) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is required");
        }
        try {
            Names.checkNamespace(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " '" + value + "' is invalid: " + e.getMessage(), e);
        }
    }

    /** The desktops' volume names, {@code prefix1..prefixN}. */
    public List<String> members() {
        List<String> out = new ArrayList<>(size);
        for (int i = 1; i <= size; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    /** The same pool on another template version. */
    public PoolDefinition withTemplate(String newTemplate, String newSnapshot) {
        return new PoolDefinition(name, newTemplate, newSnapshot, size, prefix, policy, project);
    }
}
