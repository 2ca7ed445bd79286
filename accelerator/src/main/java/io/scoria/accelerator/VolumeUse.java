package io.scoria.accelerator;

import java.util.function.Supplier;

/**
 * Work on a volume that reaches the engine below the {@link VolumeService} stack (applying scrub
 * results, measuring garbage): wrapped in {@link #during}, it counts as use of the volume and an idle
 * close waits until it ended, so the volume is never closed under it. {@link #NONE} wraps nothing
 * (a router that never closes idle volumes). Implementations are thread-safe.
 */
public interface VolumeUse {
    /** Runs the work as it is. */
    VolumeUse NONE = new VolumeUse() {
        @Override
        public <T> T during(String volume, Supplier<T> work) {
            return work.get();
        }
    };

    /** Runs {@code work} on the caller's thread as a use of {@code volume}; returns its result. */
    <T> T during(String volume, Supplier<T> work);

    /** {@link #during} for work without a result. */
    default void run(String volume, Runnable work) {
        during(volume, () -> {
            work.run();
            return null;
        });
    }
}
