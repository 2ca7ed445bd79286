package io.scoria.accelerator.nbd;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections of one NBD server: to the node, and in transmission per export, each against its cap
 * in {@link NbdLimits}. Thread-safe.
 */
final class ConnectionCounts {
    private final int maxNode;
    private final int maxPerExport;
    private final AtomicInteger node = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perExport = new ConcurrentHashMap<>();

    ConnectionCounts(NbdLimits limits) {
        this.maxNode = limits.maxConnections();
        this.maxPerExport = limits.maxConnectionsPerExport();
    }

    /** Counts a new connection; false (and nothing counted) if the node is at its cap. */
    boolean tryOpen() {
        return tryIncrement(node, maxNode);
    }

    void closed() {
        node.decrementAndGet();
    }

    /** Counts a connection entering transmission on {@code export}; false if the export is at its cap. */
    boolean tryAttach(String export) {
        boolean[] attached = new boolean[1];
        perExport.compute(export, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= maxPerExport) {
                return n;
            }
            attached[0] = true;
            return now + 1;
        });
        return attached[0];
    }

    void detached(String export) {
        perExport.computeIfPresent(export, (k, n) -> n == 1 ? null : n - 1);
    }

    int node() {
        return node.get();
    }

    private static boolean tryIncrement(AtomicInteger n, int max) {
        while (true) {
            int now = n.get();
            if (now >= max) {
                return false;
            }
            if (n.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }
}
