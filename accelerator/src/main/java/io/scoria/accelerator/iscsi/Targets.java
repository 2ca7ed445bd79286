package io.scoria.accelerator.iscsi;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.frontend.ReadOnlyView;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The targets of one {@link IscsiServer}: one per volume, named {@code <iqnPrefix>:<volume>}, with
 * LUN 0 shared by every session of that target (so COMPARE AND WRITE is atomic across sessions).
 * iSCSI names are compared without case (RFC 3722), so a target name finds its volume whatever the
 * case. Persistent reservations live per volume name, in a file under
 * {@link IscsiServerConfig#reservations()} when one is set. Thread-safe; {@link #lun} may open a volume, so it runs on a worker.
 */
final class Targets {
    private final IscsiServerConfig config;
    private final VolumeService volumes;
    private final Map<String, ScsiLun> luns = new ConcurrentHashMap<>();
    private final Map<String, ScsiLun> readOnlyLuns = new ConcurrentHashMap<>();
    private final Map<String, PersistentReservations> reservations = new ConcurrentHashMap<>();
    /** The logged-in (normal session) connections of each target, by volume name; for TARGET COLD RESET. */
    private final Map<String, java.util.Set<io.netty.channel.Channel>> connections = new ConcurrentHashMap<>();

    Targets(IscsiServerConfig config, VolumeService volumes) {
        this.config = config;
        this.volumes = volumes;
    }

    /**
     * The LUN of {@code volume} (opening it), or null if no such volume exists; {@code readOnly}: the
     * LUN of a host attached read-only (a {@link ReadOnlyView} sharing the volume's reservations).
     */
    ScsiLun lun(String volume, boolean readOnly) {
        String name = volumes.info(volume).isPresent() ? volume : volumes.list().stream()
                .map(i -> i.name()).filter(n -> n.equalsIgnoreCase(volume)).findFirst().orElse(null);
        if (name == null) {
            return null;
        }
        Volume v;
        try {
            v = volumes.open(name);
        } catch (VolumeNotFoundException e) {
            return null;
        }
        PersistentReservations pr = reservations.computeIfAbsent(name, k -> new PersistentReservations(
                config.reservations() == null ? null : config.reservations().resolve(k + ".pr")));
        if (readOnly) {
            return readOnlyLuns.compute(name, (k, old) -> old != null && old.volume() instanceof ReadOnlyView r
                    && r.viewOf(v) ? old : new ScsiLun(new ReadOnlyView(v), config.targetName(name.toLowerCase()),
                    config.blockSize(), config.limits().maxTransferBytes(), pr));
        }
        return luns.compute(name, (k, old) -> old != null && old.volume() == v ? old
                : new ScsiLun(v, config.targetName(name.toLowerCase()), config.blockSize(),
                config.limits().maxTransferBytes(), pr));
    }

    /** The names of the targets whose volume {@code visible} accepts (for SendTargets). */
    List<String> names(Predicate<String> visible) {
        return volumes.list().stream().map(i -> i.name()).filter(visible)
                .map(n -> config.targetName(n.toLowerCase())).toList();
    }

    /** Notes a logged-in connection of the target of {@code volume}; it leaves when the channel closes. */
    void connected(String volume, io.netty.channel.Channel channel) {
        connections.computeIfAbsent(volume, v -> ConcurrentHashMap.newKeySet()).add(channel);
        channel.closeFuture().addListener(f -> connections.computeIfPresent(volume, (v, set) -> {
            set.remove(channel);
            return set.isEmpty() ? null : set;
        }));
    }

    /**
     * TARGET COLD RESET (RFC 7143 section 11.5.1): closes every connection to the target of {@code volume},
     * of every initiator, {@code except} last (the one that asked: it closes after its response is out).
     * Returns how many were closed.
     */
    int closeAll(String volume, io.netty.channel.Channel except) {
        int n = 0;
        for (io.netty.channel.Channel c : connections.getOrDefault(volume, java.util.Set.of())) {
            if (c != except) {
                c.close();
                n++;
            }
        }
        return n;
    }
}
