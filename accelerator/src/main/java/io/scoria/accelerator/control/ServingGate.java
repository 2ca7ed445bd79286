package io.scoria.accelerator.control;

import io.scoria.accelerator.frontend.Admission;
import io.scoria.accelerator.frontend.Attachments;
import io.scoria.accelerator.frontend.Client;
import io.scoria.accelerator.frontend.OpenSessions;

import java.util.Objects;
import java.util.Optional;

/**
 * What the frontends ask before they serve a volume: the host {@link Attachments} (who may use it) and
 * the volume's lifecycle state: a volume {@code creating} or {@code deleting} is served to nobody (a
 * half-made volume, or one whose data is going away), the client is told why, and neither NBD_OPT_LIST nor
 * iSCSI discovery names it. Reads only in-memory
 * state (no I/O: it runs on event loops). Thread-safe if its parts are.
 */
public final class ServingGate implements Attachments {
    private final Attachments hosts;
    private final VolumeLifecycle lifecycle;

    /** Admits as {@code hosts} does, refusing volumes that {@code lifecycle} has creating or deleting. */
    public ServingGate(Attachments hosts, VolumeLifecycle lifecycle) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    }

    @Override
    public Admission admit(String volume, Client client) {
        return hosts.admit(volume, client);
    }

    @Override
    public OpenSessions sessions() {
        return hosts.sessions();
    }

    @Override
    public Optional<String> unavailable(String volume) {
        VolumeState s = lifecycle.recordedState(volume).orElse(null);
        if (s == VolumeState.CREATING) {
            return Optional.of("volume " + volume + " is being created; it is served once it is available");
        }
        if (s == VolumeState.DELETING) {
            return Optional.of("volume " + volume + " is being deleted");
        }
        return Optional.empty();
    }
}
