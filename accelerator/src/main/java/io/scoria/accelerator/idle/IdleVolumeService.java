package io.scoria.accelerator.idle;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.HydrationStep;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.metering.RequestLedger;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outermost {@link VolumeService} of a router that closes idle volumes ({@link IdleVolumes}): every
 * call that uses a volume passes its {@link IdleGate}, and {@link #open} returns an {@link IdleVolume},
 * a handle that reopens the volume transparently after an idle close, so frontends, the REST API and
 * jobs never see a closed volume. Listing and {@link #info} open nothing. A clone, template or resize
 * leaves its volume open in the stack below: it is marked open here so that it is closed when idle.
 *
 * <p>Thread-safe; {@link #close()} closes the stack below (the sweeper is closed by its owner first).
 */
public final class IdleVolumeService implements VolumeService {
    private final VolumeService stack;
    private final IdleVolumes idle;

    /** @param stack the volume service below (owned here) */
    public IdleVolumeService(VolumeService stack, IdleVolumes idle) {
        this.stack = Objects.requireNonNull(stack, "stack");
        this.idle = Objects.requireNonNull(idle, "idle");
    }

    @Override
    public VolumeInfo create(String name, VolumeSpec spec, String project) {
        return stack.create(name, spec, project);
    }

    @Override
    public List<VolumeInfo> list() {
        return stack.list();
    }

    @Override
    public List<VolumeInfo> list(String after, int limit) {
        return stack.list(after, limit);
    }

    @Override
    public Optional<VolumeInfo> info(String name) {
        return stack.info(name);
    }

    /**
     * Opens the volume now (so that a missing one fails here) and returns its handle: the same one for
     * every call until the volume is deleted (the iSCSI target keeps a LUN per volume instance).
     */
    @Override
    public Volume open(String name) {
        IdleGate g = idle.gate(name);
        g.enter();
        try {
            Volume v = g.volume(() -> stack.open(name));
            return g.handle(() -> new IdleVolume(stack, idle, name, v));
        } finally {
            g.exit();
        }
    }

    @Override
    public void delete(String name) {
        IdleGate g = idle.gate(name);
        g.enter();
        try {
            stack.delete(name);
            g.closed();
        } finally {
            g.exit();
        }
        idle.forget(name);
    }

    @Override
    public VolumeInfo makeTemplate(String name) {
        return idle.during(name, () -> stack.makeTemplate(name));
    }

    @Override
    public VolumeInfo clone(String parent, String snapshot, String cloneName, String project) {
        return idle.during(parent, () -> idle.during(cloneName, () -> stack.clone(parent, snapshot, cloneName, project)));
    }

    @Override
    public Volume openSnapshot(String volume, String snapshot) {
        return idle.during(volume, () -> stack.openSnapshot(volume, snapshot));
    }

    @Override
    public ChangedRanges changes(String volume, String from, String to, long start, long length, int limit) {
        return idle.during(volume, () -> stack.changes(volume, from, to, start, length, limit));
    }

    @Override
    public VolumeInfo resize(String name, long sizeBytes, boolean force) {
        return idle.during(name, () -> stack.resize(name, sizeBytes, force));
    }

    @Override
    public VolumeInfo resetToParent(String clone) {
        return idle.during(clone, () -> stack.resetToParent(clone));
    }

    @Override
    public HydrationStep hydrate(String clone, long fromCluster, int maxClusters) {
        return idle.during(clone, () -> stack.hydrate(clone, fromCluster, maxClusters));
    }

    @Override
    public VolumeInfo flatten(String clone) {
        return idle.during(clone, () -> stack.flatten(clone));
    }

    @Override
    public Optional<RequestLedger> backendRequests() {
        return stack.backendRequests();
    }

    @Override
    public void close() {
        stack.close();
    }
}
