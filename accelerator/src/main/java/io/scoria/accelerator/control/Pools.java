package io.scoria.accelerator.control;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Crash safety: create, reset, recompose and the reset on detach are written to the lifecycle's
 * {@link IntentJournal} (with the pool definition they bring about) before their first step, then the
 * definition ({@link PoolBook}), then the desktops one by one, each through {@code creating} →
 * {@code available} ({@link PoolDesktops}), so a half-made desktop is served and listed by no frontend. An
 * operation a crash interrupted is rolled <em>forward</em> when this object is made (at start, before the API
 * serves): the definition is put back, a desktop left {@code creating} or {@code deleting} is deleted, and the
 * operation runs again over its desktops (making missing ones, recreating stale idle ones, for a reset
 * resetting idle ones again), so the pool reaches its declared size and template without an operator. Forward,
 * not back: the definition and the desktops already made are what the caller asked for, and a desktop that is
 * {@code available} may already be in use. A step that fails (in a call or in that recovery) ends the operation
 * as failed: the desktops made stay, {@code pool status} shows the rest missing, and the next reset or
 * recompose makes them. Thread-safe: operations are serialised on this object.
 */
public final class Pools {
    private static final Logger log = LoggerFactory.getLogger(Pools.class);

    private final VolumeService volumes;
    private final PoolDesktops desktops;
    private final PoolBook book;
    private final Predicate<String> inUse;

    /**
     * The pools of {@code book}, whose desktops go through {@code lifecycle}, after completing the pool
     * operations its journal holds unfinished.
     *
     * @param inUse whether a volume is in use now (attached to a host, or with an open NBD/iSCSI session)
     */
    public Pools(VolumeLifecycle lifecycle, PoolBook book, Predicate<String> inUse) {
        this.volumes = Objects.requireNonNull(lifecycle, "lifecycle").volumes();
        this.desktops = new PoolDesktops(lifecycle);
        this.book = Objects.requireNonNull(book, "book");
        this.inUse = Objects.requireNonNull(inUse, "inUse");
        desktops.unfinished().forEach(this::finish);
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
            if (volumes.info(m).isPresent() || desktops.halfMade(m)) {
                throw new VolumeConflictException("volume " + m + " exists (or is being created or deleted); pool "
                        + name + " was not created");
            }
        }
        Intent intent = desktops.begin(Intent.Kind.POOL_CREATE, def, def.members());
        run(intent, () -> {
            book.put(def);
            fill(def, def.members());
        });
        return status(name);
    }

    /** Makes the desktops among {@code members} that are missing (after deleting what a cut step left). */
    private void fill(PoolDefinition def, List<String> members) {
        int k = 0;
        for (String m : members) {
            k++;
            if (desktops.halfMade(m)) {
                desktops.clearHalfMade(m);
            }
            if (volumes.info(m).isEmpty()) {
                desktops.make(def, m, k);
            }
        }
    }

    /** Runs the steps of the journalled {@code intent} and ends it: completed, or failed (rethrown). */
    private void run(Intent intent, Runnable steps) {
        try {
            steps.run();
        } catch (RuntimeException e) {
            desktops.end(intent, IntentJournal.Outcome.FAILED);
            throw e;
        }
        desktops.end(intent, IntentJournal.Outcome.COMPLETED);
    }

    /** Completes a pool operation a crash interrupted (see the class comment); a failure ends it as failed. */
    private void finish(Intent i) {
        PoolDefinition def = i.kind() == Intent.Kind.POOL_RESET ? book.get(i.volume()).orElse(i.pool()) : i.pool();
        try {
            run(i, () -> {
                if (!book.get(def.name()).equals(Optional.of(def))) {
                    book.put(def);
                }
                if (i.kind() == Intent.Kind.POOL_CREATE) {
                    fill(def, i.names());
                } else {
                    renew(def, i.names(), i.kind() == Intent.Kind.POOL_RESET);
                }
            });
            log.warn("pool {}: its {} (interrupted by a stop) was completed: {} of {} desktops exist", def.name(),
                    i.kind().name().toLowerCase(java.util.Locale.ROOT).replace("pool_", ""),
                    def.size() - status(def.name()).missing(), def.size());
        } catch (RuntimeException e) {
            log.error("pool {}: its {} interrupted by a stop could not be completed ({}); pool status shows the"
                    + " desktops missing, pool reset or recompose makes them", def.name(), i.kind(), e.toString());
        }
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
            Optional<VolumeInfo> info = desktops.halfMade(m) ? Optional.empty() : volumes.info(m);
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
        Intent intent = desktops.begin(Intent.Kind.POOL_RESET, def, def.members());
        Change[] done = new Change[1];
        run(intent, () -> done[0] = renew(def, def.members(), true));
        return done[0];
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
        Intent intent = desktops.begin(Intent.Kind.POOL_RECOMPOSE, next, next.members());
        Change[] done = new Change[1];
        run(intent, () -> {
            book.put(next);
            done[0] = renew(next, next.members(), false);
        });
        return done[0];
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
                Intent intent = desktops.begin(Intent.Kind.POOL_RESET, def, List.of(volume));
                run(intent, () -> renew(def, List.of(volume), true));
                return true;
            }
        }
        return false;
    }

    /**
     * Idle desktops among {@code members}: reset ({@code resetCurrent}) or left (not) when current, recreated when
     * stale; missing ones made.
     */
    private Change renew(PoolDefinition def, List<String> members, boolean resetCurrent) {
        Change c = new Change(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), null);
        int k = 0;
        for (String m : members) {
            k++;
            if (desktops.halfMade(m)) {
                desktops.clearHalfMade(m);
            } else if (volumes.info(m).isPresent() && inUse.test(m)) {
                c.skippedInUse().add(m);
                continue;
            }
            renewOne(def, m, k, resetCurrent, c);
        }
        return new Change(List.copyOf(c.recreated()), List.copyOf(c.reset()), List.copyOf(c.skippedInUse()),
                status(def.name()));
    }

    private void renewOne(PoolDefinition def, String m, int k, boolean resetCurrent, Change c) {
        Optional<VolumeInfo> info = volumes.info(m);
        if (info.isPresent() && current(def, info.get())) {
            if (resetCurrent) {
                volumes.resetToParent(m);
                c.reset().add(m);
            }
            return;
        }
        if (info.isPresent()) {
            desktops.remove(m);
        }
        desktops.make(def, m, k);
        c.recreated().add(m);
    }

    private static boolean current(PoolDefinition def, VolumeInfo v) {
        return def.template().equals(v.parent()) && def.snapshot().equals(v.parentSnapshot());
    }

    private PoolDefinition definition(String name) {
        return book.get(name).orElseThrow(() -> new VolumeNotFoundException("no pool " + name));
    }
}
