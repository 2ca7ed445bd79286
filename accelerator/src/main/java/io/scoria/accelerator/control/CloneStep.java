package io.scoria.accelerator.control;

import java.time.Duration;
import java.util.Objects;

/**
 * What runs before each clone of a set, and after the clone of each desktop a pool makes (before it is
 * {@code available}): a pause in crash tests, faults in unit tests. A pausing step also runs on each side of the commit point of a delete, attach and detach (clone
 * number 0). Called on the operation's thread; implementations are stateless or confined to a test.
 */
interface CloneStep {
    /** Called at clone {@code k} (from 1) of a set or a pool operation, named {@code name}; an exception fails it. */
    void before(int k, String name);

    /** Sleeps {@code pause} before each clone (nothing if zero). */
    static CloneStep pausing(Duration pause) {
        Objects.requireNonNull(pause, "pause");
        return (k, name) -> {
            if (!pause.isZero()) {
                try {
                    Thread.sleep(pause.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        };
    }
}
