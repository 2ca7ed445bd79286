package io.scoria.accelerator.nbd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the NBD listener. Immutable and validated.
 *
 * @param host                 address to bind, for example {@code 127.0.0.1}
 * @param port                 TCP port (0: pick a free one; see {@link NbdServer#port()})
 * @param workerThreads        threads that run volume I/O (never the event loops)
 * @param maxInFlight          requests in flight per connection before the server stops reading
 * @param maxPayload           largest READ/WRITE length advertised and accepted (bytes)
 * @param tlsCertificate       PEM certificate chain for {@code NBD_OPT_STARTTLS}, or null
 * @param tlsKey               PEM PKCS#8 private key, or null (both or neither)
 * @param defaultPolicy        policy of exports without an entry in {@code exports}
 * @param exports              per-export policies by export (volume) name
 * @param negotiationTimeout   a connection that has not entered transmission by then is closed
 * @param tlsClientCa          PEM bundle of the CAs whose client certificates identify hosts, or null (no
 *                             client certificates asked for); needed by exports with {@code allowedIdentities}
 * @param limits               connection, memory and time limits per client and per node
 */
public record NbdServerConfig(String host, int port, int workerThreads, int maxInFlight, int maxPayload,
                              Path tlsCertificate, Path tlsKey, ExportPolicy defaultPolicy,
                              Map<String, ExportPolicy> exports, Duration negotiationTimeout, Path tlsClientCa,
                              NbdLimits limits) {
    public static final Duration DEFAULT_NEGOTIATION_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_PORT = 10809;
    public static final int DEFAULT_MAX_PAYLOAD = 32 << 20;

    public NbdServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(defaultPolicy, "defaultPolicy");
        exports = Map.copyOf(Objects.requireNonNull(exports, "exports"));
        Objects.requireNonNull(negotiationTimeout, "negotiationTimeout");
        Objects.requireNonNull(limits, "limits");
        if (negotiationTimeout.isNegative() || negotiationTimeout.isZero()) {
            throw new IllegalArgumentException("negotiationTimeout must be positive: " + negotiationTimeout);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535: " + port);
        }
        if (workerThreads < 1 || workerThreads > 1024) {
            throw new IllegalArgumentException("workerThreads must be 1-1024: " + workerThreads);
        }
        if (maxInFlight < 1 || maxInFlight > 65536) {
            throw new IllegalArgumentException("maxInFlight must be 1-65536: " + maxInFlight);
        }
        if (maxPayload < 4096 || maxPayload > DEFAULT_MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload must be 4096 to " + DEFAULT_MAX_PAYLOAD + ": " + maxPayload);
        }
        if ((tlsCertificate == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("tlsCertificate and tlsKey must be given together");
        }
        if (tlsCertificate != null && !Files.isReadable(tlsCertificate)) {
            throw new IllegalArgumentException("tlsCertificate is not a readable file: " + tlsCertificate);
        }
        if (tlsKey != null && !Files.isReadable(tlsKey)) {
            throw new IllegalArgumentException("tlsKey is not a readable file: " + tlsKey);
        }
        boolean anyTls = defaultPolicy.tlsRequired() || exports.values().stream().anyMatch(ExportPolicy::tlsRequired);
        if (anyTls && tlsCertificate == null) {
            throw new IllegalArgumentException("an export requires TLS but no tlsCertificate/tlsKey is configured");
        }
        if (tlsClientCa != null && tlsCertificate == null) {
            throw new IllegalArgumentException("tlsClientCa needs tlsCertificate and tlsKey (client certificates are "
                    + "only asked for over TLS)");
        }
        if (tlsClientCa != null && !Files.isReadable(tlsClientCa)) {
            throw new IllegalArgumentException("tlsClientCa is not a readable file: " + tlsClientCa);
        }
        boolean anyIdentities = !defaultPolicy.allowedIdentities().isEmpty()
                || exports.values().stream().anyMatch(p -> !p.allowedIdentities().isEmpty());
        if (anyIdentities && tlsClientCa == null) {
            throw new IllegalArgumentException("an export names allowedIdentities but no tlsClientCa is configured to "
                    + "verify client certificates");
        }
        if (limits.memoryBudget() < maxPayload) {
            throw new IllegalArgumentException("limits.memoryBudget (" + limits.memoryBudget()
                    + ") must hold at least one request of maxPayload (" + maxPayload + ")");
        }
    }

    /** The settings before limits and client certificates were configurable: default limits, no client CA. */
    public NbdServerConfig(String host, int port, int workerThreads, int maxInFlight, int maxPayload,
                           Path tlsCertificate, Path tlsKey, ExportPolicy defaultPolicy,
                           Map<String, ExportPolicy> exports, Duration negotiationTimeout) {
        this(host, port, workerThreads, maxInFlight, maxPayload, tlsCertificate, tlsKey, defaultPolicy, exports,
                negotiationTimeout, null, NbdLimits.DEFAULTS);
    }

    /** Loopback, the given port, defaults for everything else, every export open. */
    public static NbdServerConfig loopback(int port) {
        return new NbdServerConfig("127.0.0.1", port, 16, 256, DEFAULT_MAX_PAYLOAD, null, null, ExportPolicy.OPEN,
                Map.of(), DEFAULT_NEGOTIATION_TIMEOUT);
    }

    public ExportPolicy policy(String export) {
        return exports.getOrDefault(export, defaultPolicy);
    }

    public boolean tlsConfigured() {
        return tlsCertificate != null;
    }

    public NbdServerConfig withTls(Path certificate, Path key) {
        return new NbdServerConfig(host, port, workerThreads, maxInFlight, maxPayload, certificate, key, defaultPolicy,
                exports, negotiationTimeout, tlsClientCa, limits);
    }

    /** Client certificates signed by a CA of {@code caBundle} identify hosts (see {@link ExportPolicy}). */
    public NbdServerConfig withClientCa(Path caBundle) {
        return new NbdServerConfig(host, port, workerThreads, maxInFlight, maxPayload, tlsCertificate, tlsKey,
                defaultPolicy, exports, negotiationTimeout, caBundle, limits);
    }

    public NbdServerConfig withLimits(NbdLimits v) {
        return new NbdServerConfig(host, port, workerThreads, maxInFlight, maxPayload, tlsCertificate, tlsKey,
                defaultPolicy, exports, negotiationTimeout, tlsClientCa, v);
    }

    public NbdServerConfig withExports(ExportPolicy defaults, Map<String, ExportPolicy> perExport) {
        return new NbdServerConfig(host, port, workerThreads, maxInFlight, maxPayload, tlsCertificate, tlsKey, defaults,
                perExport, negotiationTimeout, tlsClientCa, limits);
    }

    public NbdServerConfig withNegotiationTimeout(Duration timeout) {
        return new NbdServerConfig(host, port, workerThreads, maxInFlight, maxPayload, tlsCertificate, tlsKey,
                defaultPolicy, exports, timeout, tlsClientCa, limits);
    }
}
