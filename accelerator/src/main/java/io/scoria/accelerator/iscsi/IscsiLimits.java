package io.scoria.accelerator.iscsi;

import java.time.Duration;
import java.util.Objects;

/**
 * How much of a node one iSCSI initiator may take. Immutable and validated.
 *
 * <p>The memory bound these give: data buffers of SCSI commands (a WRITE's buffer from the
 * moment its command is accepted until the volume took it, a READ's buffer until its Data-In
 * PDUs were handed to the kernel) of all connections together never exceed {@code memoryBudget};
 * one connection holds at most {@code maxInFlightBytes} of it, or one command of up to
 * {@code maxTransferBytes} when it has nothing else in flight. A command that cannot take its
 * bytes stops the connection from being read until bytes come back. At most {@code cmdWindow}
 * commands are in flight per session (the window {@code MaxCmdSN - ExpCmdSN + 1} the target
 * grants). A PDU's data segment is at most the negotiated {@code MaxRecvDataSegmentLength}.
 *
 * @param maxConnections   connections to this node at once; further ones are closed on accept
 * @param cmdWindow        commands in flight per session (queue depth granted to the initiator)
 * @param maxTransferBytes largest SCSI transfer accepted (block limits VPD page; at most 32 MiB)
 * @param maxInFlightBytes command data one connection may hold
 * @param memoryBudget     command data all connections together may hold
 * @param loginTimeout     a connection not in full feature phase by then is closed
 * @param stallTimeout     an initiator that leaves a PDU or solicited data half sent, does not read its
 *                         replies, or does not answer a NOP-In ping for this long is disconnected
 * @param nopInterval      an idle connection gets a NOP-In ping after this long; zero: never
 */
public record IscsiLimits(int maxConnections, int cmdWindow, int maxTransferBytes, long maxInFlightBytes,
                          long memoryBudget, Duration loginTimeout, Duration stallTimeout, Duration nopInterval) {
    /** Outbound bytes queued for one initiator above which the target stops reading its PDUs. */
    public static final int OUTBOUND_HIGH_WATER = 2 << 20;
    /** Outbound bytes below which reading resumes. */
    public static final int OUTBOUND_LOW_WATER = 512 << 10;

    /** 128 connections, window 128, 32 MiB transfers, 64 MiB per connection, 512 MiB per node, 30 s login, 60 s stall, 30 s NOP. */
    public static final IscsiLimits DEFAULTS = new IscsiLimits(128, 128, 32 << 20, 64L << 20, 512L << 20,
            Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(30));

    public IscsiLimits {
        Objects.requireNonNull(loginTimeout, "loginTimeout");
        Objects.requireNonNull(stallTimeout, "stallTimeout");
        Objects.requireNonNull(nopInterval, "nopInterval");
        if (maxConnections < 1 || maxConnections > 65536) {
            throw new IllegalArgumentException("maxConnections must be 1-65536: " + maxConnections);
        }
        if (cmdWindow < 1 || cmdWindow > 4096) {
            throw new IllegalArgumentException("cmdWindow must be 1-4096: " + cmdWindow);
        }
        if (maxTransferBytes < 65536 || maxTransferBytes > (32 << 20)) {
            throw new IllegalArgumentException("maxTransferBytes must be 64KiB-32MiB: " + maxTransferBytes);
        }
        if (maxInFlightBytes < maxTransferBytes) {
            throw new IllegalArgumentException("maxInFlightBytes (" + maxInFlightBytes
                    + ") must be at least maxTransferBytes (" + maxTransferBytes + ")");
        }
        if (memoryBudget < maxInFlightBytes) {
            throw new IllegalArgumentException("memoryBudget (" + memoryBudget + ") must be at least maxInFlightBytes ("
                    + maxInFlightBytes + ")");
        }
        if (loginTimeout.isNegative() || loginTimeout.isZero()) {
            throw new IllegalArgumentException("loginTimeout must be positive: " + loginTimeout);
        }
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive: " + stallTimeout);
        }
        if (nopInterval.isNegative()) {
            throw new IllegalArgumentException("nopInterval must not be negative: " + nopInterval);
        }
    }

    public IscsiLimits withMemory(int transfer, long perConnection, long node) {
        return new IscsiLimits(maxConnections, cmdWindow, transfer, perConnection, node, loginTimeout, stallTimeout,
                nopInterval);
    }

    public IscsiLimits withTimeouts(Duration login, Duration stall, Duration nop) {
        return new IscsiLimits(maxConnections, cmdWindow, maxTransferBytes, maxInFlightBytes, memoryBudget, login,
                stall, nop);
    }
}
