package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocSecret;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable, validated settings of {@link FocVolumeService}.
 *
 * @param address          FOC server {@code HOST:PORT} of every volume, or null when {@code placement} decides
 *                         per volume
 * @param mode             {@link FocMode#SYNC} or {@link FocMode#ASYNC} ({@code none} needs no wiring)
 * @param connectTimeout   TCP connect timeout of the FOC client
 * @param requestTimeout   a FOC request without reply for this long breaks the connection (DEGRADED)
 * @param maxRetainedBytes bound of the entries kept per volume for re-sending; should exceed the local SCO
 *                         cache budget, since entries are kept until their SCO is on the backend
 * @param stateDir         local directory of the per-volume markers (see {@link FocVolumeService})
 * @param secret           the cluster's FOC secret (every frame authenticated with it), or null for a FOC server
 *                         on loopback that has none
 * @param placement        where each volume's FOC lives ({@link FocPlacement#fixed} of {@code address} when null)
 * @param holdWhileDegraded acknowledgements wait out a DEGRADED FOC instead of going through (a cluster node:
 *                         a write only the owner holds would be lost by a fail-over)
 * @param tls              mutual TLS of every FOC connection, or null
 */
public record FocWiringConfig(String address, FocMode mode, Duration connectTimeout, Duration requestTimeout,
                              long maxRetainedBytes, Path stateDir, FocSecret secret, FocPlacement placement,
                              boolean holdWhileDegraded, io.scoria.accelerator.foc.FocTls tls) {
    public FocWiringConfig {
        Objects.requireNonNull(mode, "mode");
        if (mode == FocMode.NONE) {
            throw new IllegalArgumentException("mode: FOC wiring needs sync or async, got none");
        }
        if (placement == null) {
            if (address == null) {
                throw new IllegalArgumentException("address: required without a placement");
            }
            placement = FocPlacement.fixed(address);
        } else if (address != null) {
            FocClientConfig.of(address, "probe", 4096, 0); // validates HOST:PORT, naming the argument
        }
        if (placement.movable() && (mode != FocMode.SYNC || !holdWhileDegraded)) {
            throw new IllegalArgumentException("mode: a fail-over cache placed per volume needs sync with "
                    + "acknowledgements that wait out DEGRADED, got " + mode.configName()
                    + (holdWhileDegraded ? "" : " without holding"));
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout: must be positive, got " + connectTimeout);
        }
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout: must be positive, got " + requestTimeout);
        }
        if (maxRetainedBytes < (64L << 20)) {
            throw new IllegalArgumentException("maxRetainedBytes: must be at least 64 MiB, got " + maxRetainedBytes);
        }
        Objects.requireNonNull(stateDir, "stateDir");
    }

    /** Settings without a FOC secret (a FOC server on loopback that has none). */
    public FocWiringConfig(String address, FocMode mode, Duration connectTimeout, Duration requestTimeout,
                           long maxRetainedBytes, Path stateDir) {
        this(address, mode, connectTimeout, requestTimeout, maxRetainedBytes, stateDir, null);
    }

    /** Settings of one FOC server for every volume ({@code address}), acknowledging while DEGRADED. */
    public FocWiringConfig(String address, FocMode mode, Duration connectTimeout, Duration requestTimeout,
                           long maxRetainedBytes, Path stateDir, FocSecret secret) {
        this(address, mode, connectTimeout, requestTimeout, maxRetainedBytes, stateDir, secret, null, false, null);
    }

    /** The client configuration of one volume. */
    FocClientConfig clientConfig(String at, String volume, int clusterSize, long epoch) {
        FocClientConfig c = FocClientConfig.of(at, volume, clusterSize, epoch);
        c = c.withTimeouts(connectTimeout, requestTimeout, FocClientConfig.DEFAULT_RECONNECT_MIN,
                FocClientConfig.DEFAULT_RECONNECT_MAX);
        c = c.withBatching(c.maxBatchEntries(), c.maxInFlightBatches(), maxRetainedBytes);
        return secret == null ? c : c.withSecret(secret);
    }

    /** Longest time a write waits for its FOC acknowledgement before it is acknowledged anyway. */
    Duration ackBound() {
        Duration bound = connectTimeout.plus(requestTimeout).multipliedBy(2);
        return holdWhileDegraded && bound.compareTo(HOLD_BOUND) < 0 ? HOLD_BOUND : bound;
    }

    /**
     * With {@code holdWhileDegraded}: the least time a blocking write or flush waits for a DEGRADED FOC to be
     * OK again (reconnected, or moved to another node after its node left the cluster) before it fails.
     */
    static final Duration HOLD_BOUND = Duration.ofSeconds(60);
}
