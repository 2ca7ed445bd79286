package io.scoria.accelerator.foc.client;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocMode;

/** Creates the {@link FailoverCache} of a volume for its {@link FocMode}. */
public final class FailoverCaches {
    private FailoverCaches() {
    }

    /**
     * A cache of {@code mode}; {@code config} is required unless the mode is {@link FocMode#NONE}.
     * For {@code sync} and {@code async} this connects (bounded by the configured timeouts; an
     * unreachable server yields a DEGRADED cache that keeps retrying).
     *
     * @throws io.scoria.accelerator.foc.FocFencedException if a newer owner holds the volume
     */
    public static FailoverCache create(FocMode mode, FocClientConfig config) {
        return create(mode, config, false, null);
    }

    /**
     * As {@link #create(FocMode, FocClientConfig)}; with {@code holdWhileDegraded} a DEGRADED cache holds
     * acknowledgements (and flushes, for up to {@code flushHold}) until it is OK again instead of letting
     * them through (see {@link HeldAcks}).
     */
    public static FailoverCache create(FocMode mode, FocClientConfig config, boolean holdWhileDegraded,
                                       java.time.Duration flushHold) {
        return create(mode, config, holdWhileDegraded, flushHold, null);
    }

    /** As above, every connection over mutual TLS when {@code tls} is given. */
    public static FailoverCache create(FocMode mode, FocClientConfig config, boolean holdWhileDegraded,
                                       java.time.Duration flushHold, io.scoria.accelerator.foc.FocTls tls) {
        if (mode == null) {
            throw new IllegalArgumentException("mode: must not be null");
        }
        if (mode == FocMode.NONE) {
            return new NoFailoverCache();
        }
        if (config == null) {
            throw new IllegalArgumentException("config: required for FOC mode " + mode.configName());
        }
        return new ClientFailoverCache(new FocClient(config, tls), mode, holdWhileDegraded, flushHold);
    }

    /** A {@code none} cache. */
    public static FailoverCache none() {
        return new NoFailoverCache();
    }
}
