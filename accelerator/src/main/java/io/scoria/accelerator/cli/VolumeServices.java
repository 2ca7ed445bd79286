package io.scoria.accelerator.cli;

import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.config.ScoriaConfig;

/**
 * Builds the {@link VolumeService} that {@code scoria serve} runs: the volume engine on the
 * configured backend with its flash under {@code dataDir}. This is the single place that
 * names the engine.
 */
final class VolumeServices {
    private VolumeServices() {
    }

    static VolumeService open(ScoriaConfig config) {
        throw new IllegalStateException("this build has no volume engine yet (io.scoria.accelerator.volume is not"
                + " committed); 'scoria serve' cannot store volumes until it lands");
    }
}
