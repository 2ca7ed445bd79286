package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.WriteListener;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's {@link WriteListener.Factory} when a fail-over cache is configured: gives every
 * volume the engine opens its own {@link FocHook}, which refuses writes until
 * {@link FocVolumeService} has connected the volume to the FOC and bound it. Hand the same
 * instance to the engine ({@code LocalVolumeService}) and to {@link FocVolumeService}.
 *
 * <p>The hooks are found by volume name only when a volume is bound or unbound, never on the
 * write path. Thread-safe.
 */
public final class FocHooks implements WriteListener.Factory {
    private final Map<String, FocHook> hooks = new ConcurrentHashMap<>();

    @Override
    public WriteListener open(String volume) {
        FocHook h = new FocHook(volume);
        hooks.put(volume, h);
        return h;
    }

    /** Binds the hook of the engine's current open of {@code b}'s volume to {@code b}. */
    void bind(VolumeBinding b) {
        FocHook h = hooks.get(b.name());
        if (h == null) {
            throw new IllegalStateException("volume '" + b.name() + "' was not opened by an engine given these FOC hooks");
        }
        h.bind(b);
    }

    /** Unbinds {@code b} from its volume's hook, if it is still bound there. */
    void unbind(VolumeBinding b) {
        FocHook h = hooks.get(b.name());
        if (h != null) {
            h.unbind(b);
        }
    }
}
