package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.WriteListener;
import io.scoria.accelerator.VolumeException;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's single {@link WriteListener} when a fail-over cache is configured: routes each
 * event by volume name to that volume's {@link VolumeBinding}. Put it in the engine's
 * configuration, then hand it to {@link FocVolumeService}, which binds volumes as it opens them.
 *
 * <p>A write to a volume that is not bound fails (its data would not be protected by the FOC);
 * only {@link FocVolumeService#open} hands out writable volumes, and it binds first. Flushes are
 * handled by {@link FocVolume} after the engine returns (not here: this runs under the engine's
 * lock and must not wait on the network).
 *
 * <p>Thread-safe. Buffers: {@code cluster} is copied by the FOC client during the call.
 */
public final class FocRouter implements WriteListener {
    private final Map<String, VolumeBinding> bindings = new ConcurrentHashMap<>();

    void bind(VolumeBinding b) {
        if (bindings.putIfAbsent(b.name(), b) != null) {
            throw new IllegalStateException("volume '" + b.name() + "' is already bound to a fail-over cache");
        }
    }

    void unbind(VolumeBinding b) {
        bindings.remove(b.name(), b);
    }

    @Override
    public void onWrite(String volume, long lba, long location, ByteBuffer cluster) {
        VolumeBinding b = bindings.get(volume);
        if (b == null) {
            throw new VolumeException("write to volume '" + volume + "' refused: it is not bound to its fail-over cache");
        }
        b.onWrite(lba, location, cluster);
    }

    @Override
    public void onFlush(String volume) {
        // FocVolume flushes the FOC after the engine's flush returned, outside the engine's lock
    }

    @Override
    public void onScoOnBackend(String volume, long scoNumber) {
        VolumeBinding b = bindings.get(volume);
        if (b != null) {
            b.onScoOnBackend(scoNumber);
        }
    }
}
