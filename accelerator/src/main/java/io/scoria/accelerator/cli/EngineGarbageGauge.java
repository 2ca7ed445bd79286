package io.scoria.accelerator.cli;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeUse;
import io.scoria.accelerator.control.AutoScrub;
import io.scoria.accelerator.volume.LocalVolume;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.ObjectInfo;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;

import java.util.Objects;
import java.util.Optional;

/**
 * {@link AutoScrub.GarbageGauge} over the engine: SCO bytes from a listing of the volume's
 * namespace on the backend, live bytes from the count of mapped clusters that the volume's LBA map
 * keeps ({@link LocalVolume#mappedBytes}: no scan, no data I/O), unscrubbed snapshots from the
 * manifest published on the backend, and whether every snapshot the volume has is on the backend
 * yet. Volumes owned by another node of a cluster are not measured. Thread-safe.
 */
final class EngineGarbageGauge implements AutoScrub.GarbageGauge {
    private final LocalVolumeService engine;
    private final VolumeUse use;

    /** @param use wraps each measurement (it opens the volume in the engine: an idle close waits for it) */
    EngineGarbageGauge(LocalVolumeService engine, VolumeUse use) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.use = Objects.requireNonNull(use, "use");
    }

    @Override
    public boolean isOpen(String volume) {
        return engine.counters(volume).isPresent();
    }

    @Override
    public Optional<AutoScrub.Garbage> measure(String volume) {
        Optional<VolumeInfo> info = engine.info(volume);
        if (info.isEmpty() || engine.ownership().epoch(info.get().namespace()) == 0) {
            return Optional.empty();
        }
        String ns = info.get().namespace();
        long scoBytes = 0;
        for (ObjectInfo o : engine.store().listAll(ns, NamespaceLayout.SCO_PREFIX)) {
            scoBytes += o.size();
        }
        int unscrubbed = 0;
        Optional<VolumeManifest> published = engine.manifests().readLatest(ns);
        if (published.isPresent()) {
            for (VolumeManifest.Snapshot s : published.get().snapshots()) {
                if (!s.scrubbed() && !s.tlogs().isEmpty()) {
                    unscrubbed++;
                }
            }
        }
        long scos = scoBytes;
        int old = unscrubbed;
        return Optional.of(use.during(volume, () -> live(volume, scos, old)));
    }

    private AutoScrub.Garbage live(String volume, long scoBytes, int unscrubbed) {
        LocalVolume v = engine.open(volume);
        boolean onBackend = v.listSnapshots().stream().allMatch(SnapshotInfo::onBackend);
        return new AutoScrub.Garbage(scoBytes, v.mappedBytes(), unscrubbed, onBackend);
    }
}
