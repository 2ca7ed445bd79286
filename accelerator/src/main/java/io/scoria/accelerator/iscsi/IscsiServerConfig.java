package io.scoria.accelerator.iscsi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the iSCSI target. Immutable and validated.
 *
 * @param host          address to bind, for example {@code 127.0.0.1}
 * @param port          TCP port (0: pick a free one; see {@link IscsiServer#port()})
 * @param iqnPrefix     target names are {@code <iqnPrefix>:<volume>}
 * @param workerThreads threads that run volume I/O (never the event loops)
 * @param blockSize     logical block size shown to initiators: 512 or 4096
 * @param discoveryChap CHAP of discovery sessions ({@link ChapSettings#NONE}: open)
 * @param defaultChap   CHAP of targets without an entry in {@code targetChap}
 * @param targetChap    per-target CHAP by volume name
 * @param limits        connection, memory and time limits
 * @param reservations  directory of the persistent reservations (one file per volume), or null: kept in
 *                      memory only (lost at restart)
 */
public record IscsiServerConfig(String host, int port, String iqnPrefix, int workerThreads, int blockSize,
                                ChapSettings discoveryChap, ChapSettings defaultChap,
                                Map<String, ChapSettings> targetChap, IscsiLimits limits, Path reservations) {
    public static final int DEFAULT_PORT = 3260;
    public static final String DEFAULT_IQN_PREFIX = "iqn.2026-12.io.scoria";

    public IscsiServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(iqnPrefix, "iqnPrefix");
        Objects.requireNonNull(discoveryChap, "discoveryChap");
        Objects.requireNonNull(defaultChap, "defaultChap");
        targetChap = Map.copyOf(Objects.requireNonNull(targetChap, "targetChap"));
        Objects.requireNonNull(limits, "limits");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535: " + port);
        }
        if (!iqnPrefix.matches("iqn\\.[0-9]{4}-[0-9]{2}\\.[a-z0-9][a-z0-9.-]*")) {
            throw new IllegalArgumentException("iqnPrefix must look like iqn.YYYY-MM.reversed.domain: " + iqnPrefix);
        }
        if (workerThreads < 1 || workerThreads > 1024) {
            throw new IllegalArgumentException("workerThreads must be 1-1024: " + workerThreads);
        }
        if (blockSize != 512 && blockSize != 4096) {
            throw new IllegalArgumentException("blockSize must be 512 or 4096: " + blockSize);
        }
    }

    /** Loopback, the given port, every other setting at its default, no CHAP. */
    public static IscsiServerConfig loopback(int port) {
        return new IscsiServerConfig("127.0.0.1", port, DEFAULT_IQN_PREFIX, 16, 512, ChapSettings.NONE,
                ChapSettings.NONE, Map.of(), IscsiLimits.DEFAULTS, null);
    }

    public IscsiServerConfig withChap(ChapSettings discovery, ChapSettings targets) {
        return new IscsiServerConfig(host, port, iqnPrefix, workerThreads, blockSize, discovery, targets, targetChap,
                limits, reservations);
    }

    public IscsiServerConfig withBlockSize(int size) {
        return new IscsiServerConfig(host, port, iqnPrefix, workerThreads, size, discoveryChap, defaultChap, targetChap,
                limits, reservations);
    }

    public IscsiServerConfig withLimits(IscsiLimits l) {
        return new IscsiServerConfig(host, port, iqnPrefix, workerThreads, blockSize, discoveryChap, defaultChap,
                targetChap, l, reservations);
    }

    public IscsiServerConfig withReservations(Path dir) {
        return new IscsiServerConfig(host, port, iqnPrefix, workerThreads, blockSize, discoveryChap, defaultChap,
                targetChap, limits, dir);
    }

    /** The target name of {@code volume}. */
    public String targetName(String volume) {
        return iqnPrefix + ":" + volume;
    }

    /** The volume named by {@code targetName}, or null if it is not one of ours. */
    String volumeOf(String targetName) {
        String p = iqnPrefix + ":";
        return targetName != null && targetName.startsWith(p) && targetName.length() > p.length()
                ? targetName.substring(p.length()) : null;
    }

    ChapSettings chapOf(String volume) {
        return targetChap.getOrDefault(volume, defaultChap);
    }
}
