package io.scoria.accelerator.health;

import io.scoria.backend.LogText;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Ready while the fail-over cache server accepts connections (a TCP connect, closed at once:
 * no frame is sent, so no secret is needed) and no open volume's fail-over cache is degraded;
 * otherwise writes are acknowledged with one copy only, or, in sync mode, wait for it.
 */
public final class FocCheck implements HealthCheck {
    private final InetSocketAddress address;
    private final Duration connectTimeout;
    private final Supplier<List<String>> degradedVolumes;

    /**
     * @param address         the one FOC server of every volume, probed by a connect; null when each volume's FOC
     *                        is placed on another node (then only the volumes' states count)
     * @param degradedVolumes the open volumes whose fail-over cache is not OK
     */
    public FocCheck(InetSocketAddress address, Duration connectTimeout, Supplier<List<String>> degradedVolumes) {
        this.address = address;
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.degradedVolumes = Objects.requireNonNull(degradedVolumes, "degradedVolumes");
    }

    @Override
    public String name() {
        return "foc";
    }

    @Override
    public CheckResult check() {
        String where = address == null ? "placed per volume" : address.getHostString() + ":" + address.getPort();
        if (address != null) {
            try (Socket s = new Socket()) {
                s.connect(address, (int) connectTimeout.toMillis());
            } catch (IOException e) {
                return CheckResult.fail(name(), "fail-over cache " + where + " is unreachable: " + e.getMessage());
            }
        }
        List<String> degraded = degradedVolumes.get();
        if (!degraded.isEmpty()) {
            return CheckResult.fail(name(), "fail-over cache degraded for volumes " + degraded.stream()
                    .map(LogText::quote).toList());
        }
        return CheckResult.pass(name(), address == null ? "fail-over caches placed per volume: none degraded"
                : "fail-over cache " + where + " reachable");
    }
}
