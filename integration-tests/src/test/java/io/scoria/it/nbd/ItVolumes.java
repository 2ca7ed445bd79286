package io.scoria.it.nbd;

import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;

import java.nio.file.Path;

/**
 * The one place the NBD integration tests get their {@link VolumeService}: the real volume
 * engine on an fs backend, both under {@code dir}.
 */
public final class ItVolumes {
    private ItVolumes() {
    }

    public static VolumeService newService(Path dir) {
        FsObjectStore store = new FsObjectStore(new FsStoreConfig(dir.resolve("backend")));
        return new LocalVolumeService(store, EngineConfig.defaults(dir.resolve("flash"))
                .withScoCacheBytes(512L << 20).withClusterCacheBytes(64L << 20));
    }
}
