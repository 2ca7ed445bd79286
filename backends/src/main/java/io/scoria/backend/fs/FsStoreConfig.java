package io.scoria.backend.fs;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of a {@link FsObjectStore}.
 *
 * @param root directory that holds one sub-directory per namespace; created if missing
 */
public record FsStoreConfig(Path root) {
    public FsStoreConfig {
        Objects.requireNonNull(root, "root");
        root = root.toAbsolutePath().normalize();
    }
}
