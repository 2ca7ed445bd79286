package io.scoria.accelerator.config;

import io.scoria.accelerator.nbd.NbdLimits;
import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.Durations;
import io.scoria.backend.config.Sizes;

import java.time.Duration;

/**
 * {@code nbd.limits}: how much of the node one NBD client may take ({@link NbdLimits}, where the
 * defaults and the memory bound they give are declared). Sizes take units ({@code 16MiB}),
 * timeouts {@code ms}, {@code s} or {@code m}; {@code idleTimeout: 0s} never closes idle clients.
 */
public record NbdLimitsSection(Integer maxConnections, Integer maxConnectionsPerExport, String maxInFlightBytes,
                               String memoryBudget, String stallTimeout, String idleTimeout) {
    public NbdLimitsSection {
        NbdLimits d = NbdLimits.DEFAULTS;
        maxConnections = maxConnections != null ? maxConnections : d.maxConnections();
        maxConnectionsPerExport = maxConnectionsPerExport != null ? maxConnectionsPerExport : d.maxConnectionsPerExport();
        maxInFlightBytes = maxInFlightBytes != null ? maxInFlightBytes : Sizes.format(d.maxInFlightBytes());
        memoryBudget = memoryBudget != null ? memoryBudget : Sizes.format(d.memoryBudget());
        stallTimeout = stallTimeout != null ? stallTimeout : d.stallTimeout().toSeconds() + "s";
        idleTimeout = idleTimeout != null ? idleTimeout : d.idleTimeout().toSeconds() + "s";
        try {
            limits(maxConnections, maxConnectionsPerExport, maxInFlightBytes, memoryBudget, stallTimeout, idleTimeout);
        } catch (IllegalArgumentException e) {
            if (e instanceof ConfigException) {
                throw e;
            }
            String message = e.getMessage();
            String key = message.substring(0, Math.max(0, message.indexOf(' ')));
            throw new ConfigException(key, message.substring(message.indexOf(' ') + 1));
        }
    }

    public NbdLimits limits() {
        return limits(maxConnections, maxConnectionsPerExport, maxInFlightBytes, memoryBudget, stallTimeout, idleTimeout);
    }

    private static NbdLimits limits(int connections, int perExport, String inFlight, String budget, String stall,
                                    String idle) {
        return new NbdLimits(connections, perExport, Sizes.parse("maxInFlightBytes", inFlight),
                Sizes.parse("memoryBudget", budget), Durations.parse("stallTimeout", stall),
                idle.trim().matches("0+\\s*(ms|s|m)") ? Duration.ZERO : Durations.parse("idleTimeout", idle));
    }
}
