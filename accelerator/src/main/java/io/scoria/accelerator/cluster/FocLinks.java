package io.scoria.accelerator.cluster;

import java.time.Duration;

/**
 * What the cluster's FOC placement needs of this node's open volumes: where each one's fail-over cache
 * is now, whether it is DEGRADED, and moving it. Implemented by the {@code cli} wiring over the FOC
 * wiring; thread-safe.
 */
public interface FocLinks {
    /** The FOC server ({@code HOST:PORT}) the volume mirrors to, or null if it is not open here. */
    String server(String volume);

    /** True while the open volume's FOC is unreachable (or re-sending to a server). */
    boolean degraded(String volume);

    /**
     * Moves the open volume's FOC to {@code address}; returns once the new server holds every entry not yet on
     * the backend and the move is recorded.
     *
     * @throws RuntimeException if the new server did not take them within {@code within}, or the record failed
     */
    void move(String volume, String address, Duration within);
}
