package io.scoria.accelerator.config;

import io.scoria.accelerator.iscsi.ChapSettings;
import io.scoria.accelerator.iscsi.IscsiLimits;
import io.scoria.accelerator.iscsi.IscsiServerConfig;
import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.Durations;
import io.scoria.backend.config.Secret;
import io.scoria.backend.config.Sizes;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code iscsi}: the iSCSI target of {@code scoria serve} ({@link IscsiServerConfig}). On by default,
 * on loopback. Every volume is a target {@code <iqnPrefix>:<volume>} with LUN 0. CHAP secrets are
 * inline, {@code {file: PATH}} or {@code {env: NAME}} ({@link Secret}); they are never logged.
 *
 * <pre>
 * iscsi: {enabled: true, host: 127.0.0.1, port: 3260, iqnPrefix: iqn.2026-12.io.scoria, workerThreads: 16,
 *         blockSize: 512,
 *         chap: {user: host1, secret: {file: chap.secret}, mutualUser: scoria, mutualSecret: {env: SCORIA_MCHAP},
 *                initiators: {iqn.1993-08.org.debian:01:abc: {file: abc.secret}}},
 *         discoveryChap: {user: disc, secret: ...},     # default: open discovery
 *         targetChap: {vm1: {user: ..., secret: ...}},  # per-volume CHAP instead of chap
 *         limits: {maxConnections: 128, cmdWindow: 128, maxTransferBytes: 32MiB, maxInFlightBytes: 64MiB,
 *                  memoryBudget: 512MiB, loginTimeout: 30s, stallTimeout: 60s, nopInterval: 30s}}
 * </pre>
 */
public record IscsiSection(Boolean enabled, String host, Integer port, String iqnPrefix, Integer workerThreads,
                           Integer blockSize, Chap chap, Chap discoveryChap, Map<String, Chap> targetChap,
                           Limits limits) {
    public IscsiSection {
        enabled = enabled == null || enabled;
        host = host != null ? host : "127.0.0.1";
        port = port != null ? port : IscsiServerConfig.DEFAULT_PORT;
        iqnPrefix = iqnPrefix != null ? iqnPrefix : IscsiServerConfig.DEFAULT_IQN_PREFIX;
        workerThreads = workerThreads != null ? workerThreads : 16;
        blockSize = blockSize != null ? blockSize : 512;
        chap = chap != null ? chap : new Chap(null, null, null, null, null);
        discoveryChap = discoveryChap != null ? discoveryChap : new Chap(null, null, null, null, null);
        targetChap = targetChap != null ? Map.copyOf(targetChap) : Map.of();
        limits = limits != null ? limits : new Limits(null, null, null, null, null, null, null, null);
        server(host, port, iqnPrefix, workerThreads, blockSize, chap, discoveryChap, targetChap, limits);
    }

    /** An empty section: every default. */
    static IscsiSection defaults() {
        return new IscsiSection(null, null, null, null, null, null, null, null, null, null);
    }

    /** The target's settings; persistent reservations are kept in {@code reservations} (null: memory only). */
    public IscsiServerConfig serverConfig(java.nio.file.Path reservations) {
        return server(host, port, iqnPrefix, workerThreads, blockSize, chap, discoveryChap, targetChap, limits)
                .withReservations(reservations);
    }

    private static IscsiServerConfig server(String host, int port, String prefix, int workers, int blockSize, Chap chap,
                                            Chap discovery, Map<String, Chap> targets, Limits limits) {
        Map<String, ChapSettings> perTarget = new HashMap<>();
        targets.forEach((k, v) -> perTarget.put(k, v.settings("targetChap." + k)));
        try {
            return new IscsiServerConfig(host, port, prefix, workers, blockSize, discovery.settings("discoveryChap"),
                    chap.settings("chap"), perTarget, limits.limits(), null);
        } catch (IllegalArgumentException e) {
            if (e instanceof ConfigException) {
                throw e;
            }
            String m = e.getMessage();
            int space = m.indexOf(' ');
            throw new ConfigException(space > 0 ? m.substring(0, space) : "", space > 0 ? m.substring(space + 1) : m);
        }
    }

    /** CHAP credentials ({@link ChapSettings}); no {@code secret} and no {@code initiators}: no CHAP. */
    public record Chap(String user, Secret secret, String mutualUser, Secret mutualSecret,
                       Map<String, Secret> initiators) {
        public Chap {
            initiators = initiators != null ? Map.copyOf(initiators) : Map.of();
        }

        ChapSettings settings(String key) {
            try {
                return new ChapSettings(user, secret, mutualUser, mutualSecret, initiators);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key, e.getMessage());
            }
        }
    }

    /** {@code iscsi.limits}: see {@link IscsiLimits} for what each bounds and the defaults. */
    public record Limits(Integer maxConnections, Integer cmdWindow, String maxTransferBytes, String maxInFlightBytes,
                         String memoryBudget, String loginTimeout, String stallTimeout, String nopInterval) {
        public Limits {
            IscsiLimits d = IscsiLimits.DEFAULTS;
            maxConnections = maxConnections != null ? maxConnections : d.maxConnections();
            cmdWindow = cmdWindow != null ? cmdWindow : d.cmdWindow();
            maxTransferBytes = maxTransferBytes != null ? maxTransferBytes : Sizes.format(d.maxTransferBytes());
            maxInFlightBytes = maxInFlightBytes != null ? maxInFlightBytes : Sizes.format(d.maxInFlightBytes());
            memoryBudget = memoryBudget != null ? memoryBudget : Sizes.format(d.memoryBudget());
            loginTimeout = loginTimeout != null ? loginTimeout : d.loginTimeout().toSeconds() + "s";
            stallTimeout = stallTimeout != null ? stallTimeout : d.stallTimeout().toSeconds() + "s";
            nopInterval = nopInterval != null ? nopInterval : d.nopInterval().toSeconds() + "s";
            try {
                build(maxConnections, cmdWindow, maxTransferBytes, maxInFlightBytes, memoryBudget, loginTimeout,
                        stallTimeout, nopInterval);
            } catch (IllegalArgumentException e) {
                if (e instanceof ConfigException) {
                    throw e;
                }
                String m = e.getMessage();
                int space = m.indexOf(' ');
                throw new ConfigException(m.substring(0, Math.max(0, space)), m.substring(space + 1));
            }
        }

        IscsiLimits limits() {
            return build(maxConnections, cmdWindow, maxTransferBytes, maxInFlightBytes, memoryBudget, loginTimeout,
                    stallTimeout, nopInterval);
        }

        private static IscsiLimits build(int maxConnections, int cmdWindow, String maxTransferBytes,
                                         String maxInFlightBytes, String memoryBudget, String loginTimeout,
                                         String stallTimeout, String nopInterval) {
            long transfer = Sizes.parse("maxTransferBytes", maxTransferBytes);
            return new IscsiLimits(maxConnections, cmdWindow, (int) Math.min(transfer, Integer.MAX_VALUE),
                    Sizes.parse("maxInFlightBytes", maxInFlightBytes), Sizes.parse("memoryBudget", memoryBudget),
                    Durations.parse("loginTimeout", loginTimeout), Durations.parse("stallTimeout", stallTimeout),
                    nopInterval.trim().matches("0+\\s*(ms|s|m)") ? Duration.ZERO
                            : Durations.parse("nopInterval", nopInterval));
        }
    }
}
