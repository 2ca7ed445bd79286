package io.scoria.it.nbd;

import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.testing.InMemoryVolumeService;

import java.nio.file.Path;

/**
 * The one place the NBD and CLI integration tests get their {@link VolumeService}. Until the
 * volume engine lands this is the in-memory fixture; then it becomes the engine on an fs
 * backend under {@code dir}.
 */
final class ItVolumes {
    private ItVolumes() {
    }

    static VolumeService newService(Path dir) {
        return new InMemoryVolumeService();
    }
}
