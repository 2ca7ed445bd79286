package io.scoria.accelerator.config;

import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.backend.config.ConfigException;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * {@code foc.serve}: a fail-over cache server inside {@code scoria serve}, keeping other nodes' (or this
 * router's own, with {@code foc.address} pointing at it) not-yet-uploaded writes, as {@code scoria foc-server}
 * does as a process of its own. {@code listen} is HOST:PORT (port 0 picks one); {@code dir} defaults to
 * {@code <dataDir>/foc-server}. It uses {@code foc.secretFile} and {@code foc.tls*}; without either it binds
 * only a loopback address. On a cluster node its address is advertised as {@code cluster.advertise.foc}
 * unless that is set. Immutable.
 */
public record FocServeSection(String listen, Path dir) {
    public FocServeSection {
        if (listen == null || listen.isBlank()) {
            throw new ConfigException("foc.serve.listen", "is required (HOST:PORT the FOC server listens on)");
        }
        try {
            FocServer.parseHostPort(listen);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("foc.serve.listen", "expected HOST:PORT, got '" + listen + "'");
        }
    }

    public InetSocketAddress address() {
        return FocServer.parseHostPort(listen);
    }

    /** The server's directory: {@code dir}, or {@code <dataDir>/foc-server}. */
    public Path directory(Path dataDir) {
        return dir != null ? dir : dataDir.resolve("foc-server");
    }
}
