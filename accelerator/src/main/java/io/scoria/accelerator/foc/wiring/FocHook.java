package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.WriteListener;

import java.nio.ByteBuffer;

/**
 * The write hook of one open volume of the engine when a fail-over cache is configured: hands
 * each appended cluster and each "SCO on backend" event to the volume's {@link VolumeBinding}.
 * A write while no binding is attached fails (its data would not be protected by the FOC); only
 * {@link FocVolumeService#open} hands out writable volumes, and it binds first. Flushes are
 * handled by {@link FocVolume} after the engine returns (not here: this runs under the engine's
 * append lock and must not wait on the network).
 *
 * <p>Thread-safety: {@link #onWrite} runs on the writing thread under the volume's append lock,
 * {@link #onScoOnBackend} on the upload thread; the binding is a volatile field, set and cleared
 * under {@code this}. Buffers: {@code cluster} is copied by the FOC client during the call.
 */
final class FocHook implements WriteListener {
    private final String volume;
    private volatile VolumeBinding binding;

    FocHook(String volume) {
        this.volume = volume;
    }

    synchronized void bind(VolumeBinding b) {
        if (binding != null) {
            throw new IllegalStateException("volume '" + volume + "' is already bound to a fail-over cache");
        }
        binding = b;
    }

    synchronized void unbind(VolumeBinding b) {
        if (binding == b) {
            binding = null;
        }
    }

    @Override
    public void onWrite(long lba, long location, ByteBuffer cluster) {
        VolumeBinding b = binding;
        if (b == null) {
            throw new VolumeException("write to volume '" + volume + "' refused: it is not bound to its fail-over cache");
        }
        b.onWrite(lba, location, cluster);
    }

    @Override
    public void onFlush() {
        // FocVolume flushes the FOC after the engine's flush returned, outside the engine's lock
    }

    @Override
    public void onScoOnBackend(long scoNumber) {
        VolumeBinding b = binding;
        if (b != null) {
            b.onScoOnBackend(scoNumber);
        }
    }
}
