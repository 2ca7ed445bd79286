package io.scoria.accelerator.foc;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Immutable, validated configuration of one volume's FOC client.
 *
 * @param host              FOC server host
 * @param port              FOC server port (1..65535)
 * @param volumeId          volume id on the server: 1..128 of {@code [A-Za-z0-9._-]}, not {@code .} or {@code ..}
 * @param clusterSize       bytes per cluster (power of two, 4 KiB..64 KiB)
 * @param ownerEpoch        this owner's epoch ({@link OwnerEpochs}): {@link OwnerEpochs#CLAIM} (0) to become the
 *                          new owner with the server's next epoch at the first registration (the client then
 *                          re-registers with that one after a reconnection), or an explicit epoch, 1..
 *                          {@link OwnerEpochs#MAX}: every change of owner must use a larger one
 * @param connectTimeout    TCP connect timeout
 * @param requestTimeout    a request without reply for this long breaks the connection
 * @param reconnectMin      first reconnect delay (doubled up to {@code reconnectMax})
 * @param reconnectMax      largest reconnect delay
 * @param maxBatchEntries   entries per ADD frame (1..4096, and at most {@link #MAX_BATCH_BYTES} per frame)
 * @param maxInFlightBatches ADD frames sent and not yet acknowledged (1..64)
 * @param maxRetainedBytes  bound of the copies kept for re-sending (entries not yet removed)
 * @param secret            the cluster's shared FOC secret, or null for none (then only a FOC server on
 *                          loopback accepts the client); its {@code toString} never shows it
 * @param entryFormat       what entry payloads hold ({@link FocEntryFormat#SEALED} for an encrypted volume, whose
 *                          cache seals each cluster before {@code FocClient.append}); the client sends
 *                          {@link #payloadBytes()} per entry
 */
public record FocClientConfig(String host, int port, String volumeId, int clusterSize, long ownerEpoch,
                              Duration connectTimeout, Duration requestTimeout, Duration reconnectMin,
                              Duration reconnectMax, int maxBatchEntries, int maxInFlightBatches,
                              long maxRetainedBytes, FocSecret secret, FocEntryFormat entryFormat) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RECONNECT_MIN = Duration.ofMillis(50);
    public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(2);
    public static final int DEFAULT_MAX_BATCH_ENTRIES = 256;
    public static final int DEFAULT_MAX_IN_FLIGHT_BATCHES = 2;
    public static final long DEFAULT_MAX_RETAINED_BYTES = 1L << 30;

    /** Largest ADD frame payload; below the protocol's 32 MiB frame limit. */
    public static final int MAX_BATCH_BYTES = 30 << 20;

    private static final Pattern VOLUME_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    public FocClientConfig {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host: must not be blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: must be 1..65535, got " + port);
        }
        checkVolumeId(volumeId);
        checkClusterSize(clusterSize);
        Objects.requireNonNull(entryFormat, "entryFormat");
        if (ownerEpoch < 0 || ownerEpoch > OwnerEpochs.MAX) {
            throw new IllegalArgumentException("ownerEpoch: must be 0 (claim) or 1.." + OwnerEpochs.MAX + ", got "
                    + ownerEpoch);
        }
        positive(connectTimeout, "connectTimeout");
        positive(requestTimeout, "requestTimeout");
        positive(reconnectMin, "reconnectMin");
        positive(reconnectMax, "reconnectMax");
        if (reconnectMax.compareTo(reconnectMin) < 0) {
            throw new IllegalArgumentException("reconnectMax: must be >= reconnectMin (" + reconnectMin + "), got "
                    + reconnectMax);
        }
        if (maxBatchEntries < 1 || maxBatchEntries > 4096) {
            throw new IllegalArgumentException("maxBatchEntries: must be 1..4096, got " + maxBatchEntries);
        }
        if ((long) maxBatchEntries * (entryFormat.payloadBytes(clusterSize) + 24) > MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("maxBatchEntries: " + maxBatchEntries + " entries of " + clusterSize
                    + "-byte clusters (" + entryFormat + ") exceed the " + MAX_BATCH_BYTES + "-byte frame budget");
        }
        if (maxInFlightBatches < 1 || maxInFlightBatches > 64) {
            throw new IllegalArgumentException("maxInFlightBatches: must be 1..64, got " + maxInFlightBatches);
        }
        if (maxRetainedBytes < (long) maxBatchEntries * clusterSize) {
            throw new IllegalArgumentException("maxRetainedBytes: must hold at least one batch ("
                    + (long) maxBatchEntries * clusterSize + " bytes), got " + maxRetainedBytes);
        }
    }

    /** A config of {@link FocEntryFormat#CLEAR} entries. */
    public FocClientConfig(String host, int port, String volumeId, int clusterSize, long ownerEpoch,
                           Duration connectTimeout, Duration requestTimeout, Duration reconnectMin,
                           Duration reconnectMax, int maxBatchEntries, int maxInFlightBatches,
                           long maxRetainedBytes, FocSecret secret) {
        this(host, port, volumeId, clusterSize, ownerEpoch, connectTimeout, requestTimeout, reconnectMin, reconnectMax,
                maxBatchEntries, maxInFlightBatches, maxRetainedBytes, secret, FocEntryFormat.CLEAR);
    }

    /** Bytes of each entry's payload: the cluster size, plus the seal of a {@link FocEntryFormat#SEALED} one. */
    public int payloadBytes() {
        return entryFormat.payloadBytes(clusterSize);
    }

    /** Defaults for everything but the server address ({@code HOST:PORT}), volume, cluster size and epoch. */
    public static FocClientConfig of(String hostPort, String volumeId, int clusterSize, long ownerEpoch) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("hostPort: expected HOST:PORT, got '" + hostPort + "'");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("hostPort: port is not a number in '" + hostPort + "'");
        }
        return new FocClientConfig(hostPort.substring(0, colon), port, volumeId, clusterSize, ownerEpoch,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RECONNECT_MIN, DEFAULT_RECONNECT_MAX,
                DEFAULT_MAX_BATCH_ENTRIES, DEFAULT_MAX_IN_FLIGHT_BATCHES, DEFAULT_MAX_RETAINED_BYTES, null);
    }

    /** A copy with other timeouts. */
    public FocClientConfig withTimeouts(Duration connect, Duration request, Duration backoffMin, Duration backoffMax) {
        return new FocClientConfig(host, port, volumeId, clusterSize, ownerEpoch, connect, request, backoffMin,
                backoffMax, maxBatchEntries, maxInFlightBatches, maxRetainedBytes, secret, entryFormat);
    }

    /** A copy with another owner epoch. */
    public FocClientConfig withOwnerEpoch(long epoch) {
        return new FocClientConfig(host, port, volumeId, clusterSize, epoch, connectTimeout, requestTimeout,
                reconnectMin, reconnectMax, maxBatchEntries, maxInFlightBatches, maxRetainedBytes, secret, entryFormat);
    }

    /** A copy with other batching limits. */
    public FocClientConfig withBatching(int batchEntries, int inFlightBatches, long retainedBytes) {
        return new FocClientConfig(host, port, volumeId, clusterSize, ownerEpoch, connectTimeout, requestTimeout,
                reconnectMin, reconnectMax, batchEntries, inFlightBatches, retainedBytes, secret, entryFormat);
    }

    /** A copy with the cluster's shared secret ({@code null}: none). */
    public FocClientConfig withSecret(FocSecret s) {
        return new FocClientConfig(host, port, volumeId, clusterSize, ownerEpoch, connectTimeout, requestTimeout,
                reconnectMin, reconnectMax, maxBatchEntries, maxInFlightBatches, maxRetainedBytes, s, entryFormat);
    }

    /** A copy whose entries have format {@code f}. */
    public FocClientConfig withEntryFormat(FocEntryFormat f) {
        return new FocClientConfig(host, port, volumeId, clusterSize, ownerEpoch, connectTimeout, requestTimeout,
                reconnectMin, reconnectMax, maxBatchEntries, maxInFlightBatches, maxRetainedBytes, secret, f);
    }

    /** Validates a volume id as used on the wire and as a directory name on the server. */
    public static void checkVolumeId(String volumeId) {
        if (volumeId == null || !VOLUME_ID.matcher(volumeId).matches() || volumeId.equals(".")
                || volumeId.equals("..")) {
            throw new IllegalArgumentException("volumeId: expected 1..128 of [A-Za-z0-9._-] (not . or ..), got '"
                    + volumeId + "'");
        }
    }

    /** Validates a cluster size: a power of two from 4 KiB to 64 KiB. */
    public static void checkClusterSize(int clusterSize) {
        if (clusterSize < 4096 || clusterSize > 65536 || Integer.bitCount(clusterSize) != 1) {
            throw new IllegalArgumentException("clusterSize: must be a power of two in 4096..65536, got "
                    + clusterSize);
        }
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": must be a positive duration, got " + d);
        }
    }
}
