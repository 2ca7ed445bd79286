package io.scoria.accelerator.nbd;

import java.time.Duration;
import java.util.Objects;

/**
 * How much of a node one NBD client may take. Immutable and validated.
 *
 * <p>The memory bound these give: request data (WRITE payloads being received or applied, READ
 * replies not yet handed to the kernel) of all connections together never exceeds
 * {@code memoryBudget}; one connection holds at most {@code maxInFlightBytes} of it, or a single
 * request of up to the maximum payload when it has nothing else in flight. A WRITE takes its bytes
 * when the first byte of its payload arrives, and its payload is allocated in 1 MiB pieces as bytes
 * arrive: a header without data costs neither budget nor memory, a payload sent in part holds memory
 * only for what was sent (and its connection is closed after {@code stallTimeout}).
 * Replies that are not request data (write acknowledgements, errors) wait in a connection's outbound
 * buffer only up to {@link #OUTBOUND_HIGH_WATER} bytes before the server stops reading that client.
 *
 * @param maxConnections          connections to this node at once; further ones are closed on accept
 * @param maxConnectionsPerExport connections in transmission to one export at once
 * @param maxInFlightBytes        request data one connection may hold (see above)
 * @param memoryBudget            request data all connections together may hold
 * @param stallTimeout            a client that leaves a request half sent, or does not read its replies,
 *                                for this long is disconnected
 * @param idleTimeout             a connection with no request for this long is closed; zero: never (an idle
 *                                VM sends nothing for hours, so this is off by default)
 */
public record NbdLimits(int maxConnections, int maxConnectionsPerExport, long maxInFlightBytes, long memoryBudget,
                        Duration stallTimeout, Duration idleTimeout) {
    /** Outbound bytes queued for one client above which the server stops reading its requests. */
    public static final int OUTBOUND_HIGH_WATER = 2 << 20;
    /** Outbound bytes below which reading resumes. */
    public static final int OUTBOUND_LOW_WATER = 512 << 10;

    /** 128 connections, 32 per export, 16 MiB per connection, 512 MiB per node, 60 s stall, no idle timeout. */
    public static final NbdLimits DEFAULTS = new NbdLimits(128, 32, 16L << 20, 512L << 20, Duration.ofSeconds(60),
            Duration.ZERO);

    public NbdLimits {
        Objects.requireNonNull(stallTimeout, "stallTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (maxConnections < 1 || maxConnections > 65536) {
            throw new IllegalArgumentException("maxConnections must be 1-65536: " + maxConnections);
        }
        if (maxConnectionsPerExport < 1 || maxConnectionsPerExport > maxConnections) {
            throw new IllegalArgumentException("maxConnectionsPerExport must be 1 to maxConnections (" + maxConnections
                    + "): " + maxConnectionsPerExport);
        }
        if (maxInFlightBytes < 4096) {
            throw new IllegalArgumentException("maxInFlightBytes must be at least 4096: " + maxInFlightBytes);
        }
        if (memoryBudget < maxInFlightBytes) {
            throw new IllegalArgumentException("memoryBudget (" + memoryBudget + ") must be at least maxInFlightBytes ("
                    + maxInFlightBytes + ")");
        }
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive: " + stallTimeout);
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must not be negative: " + idleTimeout);
        }
    }

    public NbdLimits withConnections(int node, int perExport) {
        return new NbdLimits(node, perExport, maxInFlightBytes, memoryBudget, stallTimeout, idleTimeout);
    }

    public NbdLimits withMemory(long perConnection, long node) {
        return new NbdLimits(maxConnections, maxConnectionsPerExport, perConnection, node, stallTimeout, idleTimeout);
    }

    public NbdLimits withTimeouts(Duration stall, Duration idle) {
        return new NbdLimits(maxConnections, maxConnectionsPerExport, maxInFlightBytes, memoryBudget, stall, idle);
    }
}
