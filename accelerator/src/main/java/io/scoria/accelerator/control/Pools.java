package io.scoria.accelerator.control;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Pools of desktops (seed 000: write spaces of one shared image, reclaimed when a client is done): a
 * pool keeps {@code size} thin clones of a template snapshot ready. {@code reset} discards the write
 * space of every idle desktop (a clone still on the pool's template snapshot is reset to it, any other
 * one is deleted and cloned again), {@code recompose} moves the pool to another template version and
 * recreates its idle desktops from it; a desktop in use is left alone and stays stale until it is idle
 * at the next reset or recompose. With policy {@code reset-on-detach} a desktop is also reset when its
 * last host detaches it ({@link #detached}).
 *
 * <p>Crash safety: the definition is written ({@link PoolBook}) before desktops change; every operation
 * makes missing desktops, so one interrupted between the delete and the clone of a desktop is completed
 * by the next reset or recompose. These operations do not go through the lifecycle journal: a create or
 * recompose cut by a crash leaves some desktops made (or missing), not all or none, until the next reset or
 * recompose. Thread-safe: operations are serialised on this object.
 */
public final class Pools {
    private final VolumeService volumes;
    private final PoolBook book;
    private final Predicate<String> inUse;

    /**
     * @param inUse whether a volume is in use now (attached to a host, or with an open NBD/iSCSI session)
     */
    public Pools(VolumeService volumes, PoolBook book, Predicate<String> inUse) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.book = Objects.requireNonNull(book, "book");
        this.inUse = Objects.requireNonNull(inUse, "inUse");
    }

    /** What a reset or recompose did, and the pool after it. */
    public record Change(List<String> recreated, List<String> reset, List<String> skippedInUse, PoolStatus status) {
    }

    /**
     * Defines the pool in {@code project} and makes its desktops, which belong to that project whatever the
     * template's is. {@code snapshot} null: the template's latest snapshot. Pool names are unique on the router
     * across projects (a name in use is a conflict that names no project).
     *
     * @throws VolumeConflictException if the pool or one of its desktop names exists, or the template is not a template
     */
    public synchronized PoolStatus create(String name, String template, String snapshot, int size, String prefix,
                                          PoolPolicy policy, String project) {
        if (book.get(name).isPresent()) {
            throw new VolumeConflictException("pool " + name + " exists");
        }
        PoolDefinition def = new PoolDefinition(name, template, snapshotOf(template, snapshot), size, prefix, policy,
                new Project(project).name());
        for (PoolDefinition other : book.all()) {
            if (other.prefix().startsWith(prefix) || prefix.startsWith(other.prefix())) {
                throw new VolumeConflictException("pool " + name + ": prefix " + prefix + " overlaps "
                        + (other.project().equals(def.project()) ? "pool " + other.name() + "'s prefix " + other.prefix()
                        : "the prefix of a pool"));
            }
        }
        for (String m : def.members()) {
            if (volumes.info(m).isPresent()) {
                throw new VolumeConflictException("volume " + m + " exists; pool " + name + " was not created");
            }
        }
        book.put(def);
        for (String m : def.members()) {
            volumes.clone(def.template(), def.snapshot(), m, def.project());
        }
        return status(name);
    }

    private String snapshotOf(String template, String snapshot) {
        VolumeInfo t = volumes.info(template).orElseThrow(() -> new VolumeNotFoundException("no template " + template));
        if (!t.template()) {
            throw new VolumeConflictException("volume " + template + " is not a template; make it one first"
                    + " (scoria template create " + template + ")");
        }
        List<SnapshotInfo> snaps = volumes.open(template).listSnapshots();
        if (snapshot == null) {
            if (snaps.isEmpty()) {
                throw new VolumeNotFoundException("template " + template + " has no snapshot");
            }
            return snaps.get(snaps.size() - 1).name();
        }
        if (snaps.stream().noneMatch(s -> s.name().equals(snapshot))) {
            throw new VolumeNotFoundException("template " + template + " has no snapshot " + snapshot);
        }
        return snapshot;
    }

    public List<PoolStatus> list() {
        return book.all().stream().map(p -> status(p.name())).toList();
    }

    /** The project of pool {@code name}, or empty if there is no such pool. */
    public Optional<String> project(String name) {
        return book.get(name).map(PoolDefinition::project);
    }

    public PoolStatus status(String name) {
        PoolDefinition def = definition(name);
        List<PoolStatus.Member> out = new ArrayList<>(def.size());
        for (String m : def.members()) {
            Optional<VolumeInfo> info = volumes.info(m);
            if (info.isEmpty()) {
                out.add(new PoolStatus.Member(m, false, null, null, false, false, null));
                continue;
            }
            VolumeInfo v = info.get();
            out.add(new PoolStatus.Member(m, true, v.parent(), v.parentSnapshot(), current(def, v), inUse.test(m),
                    v.cloneState()));
        }
        return PoolStatus.of(def, out);
    }

    /**
     * Discards the write space of every idle desktop and makes missing ones.
     *
     * @throws VolumeConflictException for a persistent pool (its desktops' writes are their users' data)
     */
    public synchronized Change reset(String name) {
        PoolDefinition def = definition(name);
        if (def.policy() == PoolPolicy.PERSISTENT) {
            throw new VolumeConflictException("pool " + name + " is persistent: its desktops keep their users' writes; "
                    + "reset one with `scoria clone reset DESKTOP` if that is meant");
        }
        return renew(def, true);
    }

    /**
     * Moves the pool to {@code template} at {@code snapshot} (null: its latest) and recreates its idle desktops from
     * it; desktops in use follow when they are idle at the next reset or recompose.
     *
     * @throws VolumeConflictException for a persistent pool without {@code force} (its desktops' writes would be lost)
     */
    public synchronized Change recompose(String name, String template, String snapshot, boolean force) {
        PoolDefinition def = definition(name);
        if (def.policy() == PoolPolicy.PERSISTENT && !force) {
            throw new VolumeConflictException("pool " + name + " is persistent: recompose discards its desktops' own writes;"
                    + " repeat with force if that is meant");
        }
        PoolDefinition next = def.withTemplate(template, snapshotOf(template, snapshot));
        book.put(next);
        return renew(next, false);
    }

    /** Forgets pool {@code name}; its desktops stay as volumes. */
    public synchronized void delete(String name) {
        if (!book.remove(name)) {
            throw new VolumeNotFoundException("no pool " + name);
        }
    }

    /**
     * Called after a host detached {@code volume}: a desktop of a {@code reset-on-detach} pool that is idle now
     * gets a fresh write space (on the pool's current template); returns whether it did.
     */
    public synchronized boolean detached(String volume) {
        for (PoolDefinition def : book.all()) {
            if (def.policy() == PoolPolicy.RESET_ON_DETACH && def.members().contains(volume) && !inUse.test(volume)) {
                renewOne(def, volume, true, new Change(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), null));
                return true;
            }
        }
        return false;
    }

    /** Idle desktops: reset ({@code resetCurrent}) or left (not) when current, recreated when stale; missing ones made. */
    private Change renew(PoolDefinition def, boolean resetCurrent) {
        Change c = new Change(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), null);
        for (String m : def.members()) {
            if (volumes.info(m).isPresent() && inUse.test(m)) {
                c.skippedInUse().add(m);
                continue;
            }
            renewOne(def, m, resetCurrent, c);
        }
        return new Change(List.copyOf(c.recreated()), List.copyOf(c.reset()), List.copyOf(c.skippedInUse()),
                status(def.name()));
    }

    private void renewOne(PoolDefinition def, String m, boolean resetCurrent, Change c) {
        Optional<VolumeInfo> info = volumes.info(m);
        if (info.isPresent() && current(def, info.get())) {
            if (resetCurrent) {
                volumes.resetToParent(m);
                c.reset().add(m);
            }
            return;
        }
        if (info.isPresent()) {
            volumes.delete(m);
        }
        volumes.clone(def.template(), def.snapshot(), m, def.project());
        c.recreated().add(m);
    }

    private static boolean current(PoolDefinition def, VolumeInfo v) {
        return def.template().equals(v.parent()) && def.snapshot().equals(v.parentSnapshot());
    }

    private PoolDefinition definition(String name) {
        return book.get(name).orElseThrow(() -> new VolumeNotFoundException("no pool " + name));
    }
}
