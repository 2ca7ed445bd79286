package io.scoria.accelerator;

import java.time.Instant;
import java.util.Objects;

/** A snapshot of a volume as the user sees it. */
public record SnapshotInfo(String name, long id, Instant created, boolean onBackend) {
    public SnapshotInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(created, "created");
    }
}
