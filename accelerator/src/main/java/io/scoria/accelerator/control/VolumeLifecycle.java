package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The lifecycle of the router's volumes: every create, clone set, delete, attach and detach moves
 * the volumes' {@link VolumeState}s (kept in {@link VolumeStates}) only along the allowed
 * transitions, and is written to the {@link IntentJournal} before its first step, so that after a
 * crash {@link LifecycleRecovery} completes or rolls it back at the next start. Each operation has
 * a commit point, a durable state change; before it the operation is rolled back, after it completed:
 * <ul>
 *   <li>create: commit when the volume is {@code available}; before, a half-made volume is deleted;</li>
 *   <li>clone set: all clones are {@code creating} until the last exists, then all become
 *       {@code available} in one write (the commit); before it every clone made is deleted, so a set
 *       exists whole or not at all;</li>
 *   <li>delete: commit when the volume is {@code deleting} (before the engine touches it); after it the
 *       deletion is finished, so no half-deleted volume is ever {@code available};</li>
 *   <li>attach: the host registry's one atomic file write is the commit; the state follows the registry;</li>
 *   <li>detach: commit when the volume is {@code detaching}; after it the attachment is removed.</li>
 * </ul>
 *
 * <p>Thread-safe: state changes are atomic in {@link VolumeStates} (two operations on one name: the
 * second is refused by the transition table); operations run on the caller's thread without a global
 * lock. {@link #close()} closes the journal and is idempotent.
 */
public final class VolumeLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VolumeLifecycle.class);
    /** The most clones one clone set makes. */
    public static final int MAX_CLONES = 10_000;
    /**
     * The system property {@code scoria serve} reads the pause before each clone of a set, and on each side of
     * the commit point of a delete, attach and detach, from, in milliseconds (default 0); crash tests set it to
     * kill the router in the middle of an operation, before or after its commit point.
     */
    public static final String STEP_PAUSE_PROPERTY = "scoria.lifecycle.stepPauseMillis";

    /** What a clone set reports to its caller (a job) and asks it between clones. */
    public interface CloneProgress {
        CloneProgress NONE = new CloneProgress() {
        };

        /** {@code done} clones of the set exist. */
        default void made(int done) {
        }

        /** Whether to stop (and roll back) before the next clone. */
        default boolean cancelled() {
            return false;
        }
    }

    private final VolumeService volumes;
    private final HostRegistry hosts;
    private final VolumeStates states;
    private final VolumeProjects projects;
    private final LifecycleLookups lookups;
    private final IntentJournal journal;
    private final CloneStep step;
    private final Duration commitPause;

    private VolumeLifecycle(VolumeService volumes, HostRegistry hosts, VolumeStates states, VolumeProjects projects,
                            IntentJournal journal, CloneStep step, Duration commitPause) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.hosts = hosts;
        this.states = Objects.requireNonNull(states, "states");
        this.projects = Objects.requireNonNull(projects, "projects");
        this.lookups = new LifecycleLookups(volumes, hosts, states, projects);
        this.journal = Objects.requireNonNull(journal, "journal");
        this.step = Objects.requireNonNull(step, "step");
        this.commitPause = Objects.requireNonNull(commitPause, "commitPause");
    }

    /**
     * The lifecycle kept in {@code dir} ({@code states.json}, {@code journal}) of {@code volumes} and
     * {@code hosts} (may be null: no attachments), after completing or rolling back what the journal
     * holds unfinished. {@code stepPause} is slept before each clone of a set (zero in production; crash
     * tests widen the window with it).
     *
     * @throws JournalCorruptException if the journal is damaged before its last record
     */
    public static VolumeLifecycle open(Path dir, VolumeService volumes, HostRegistry hosts, Duration stepPause) {
        return open(dir, volumes, hosts, CloneStep.pausing(stepPause), stepPause);
    }

    /** As above, running {@code step} before each clone of a set, without pauses around commit points. */
    static VolumeLifecycle open(Path dir, VolumeService volumes, HostRegistry hosts, CloneStep step) {
        return open(dir, volumes, hosts, step, Duration.ZERO);
    }

    private static VolumeLifecycle open(Path dir, VolumeService volumes, HostRegistry hosts, CloneStep step,
                                        Duration commitPause) {
        VolumeStates states = VolumeStates.open(dir.resolve("states.json"));
        VolumeProjects projects = VolumeProjects.open(dir.resolve("projects.json"));
        IntentJournal journal = IntentJournal.open(dir.resolve("journal"));
        try {
            VolumeLifecycle l = new VolumeLifecycle(volumes, hosts, states, projects, journal, step, commitPause);
            new LifecycleRecovery(l).run();
            return l;
        } catch (RuntimeException e) {
            journal.close();
            throw e;
        }
    }

    /**
     * The state of {@code volume}: recorded, else derived (attached if it has attachments, available if it
     * exists, else deleted). A recorded settled state (available, attached, detaching) of a volume that no
     * longer exists (removed by another router of the backend) reads as deleted.
     */
    public VolumeState state(String volume) {
        return lookups.state(volume);
    }

    /** The state of {@code volume}, which exists. */
    public VolumeState state(VolumeInfo volume) {
        return lookups.state(volume);
    }

    /**
     * The project {@code volume} belongs to: the one its backend manifest names ({@link Project#DEFAULT} for one
     * made before projects), so every router of the backend answers the same; for a name with no volume (being
     * created, or rolled back) the one this router recorded when the operation began.
     */
    public String project(String volume) {
        return lookups.project(volume);
    }

    /** The project of {@code volume}, which exists (no lookup). */
    public String project(VolumeInfo volume) {
        return volume.project();
    }

    /**
     * The state of {@code volume} as recorded, without looking the volume up (no I/O: event loops ask it);
     * empty for a volume without a recorded state.
     */
    public Optional<VolumeState> recordedState(String volume) {
        return states.recorded(volume);
    }

    /** Creates an empty volume of project {@link Project#DEFAULT}. */
    public VolumeInfo create(String name, VolumeSpec spec) {
        return create(name, spec, Project.DEFAULT);
    }

    /**
     * Creates an empty volume of {@code project}: {@code creating}, then {@code available}; a failed create
     * leaves nothing. Volume names are unique on the router across projects (a name is a backend namespace):
     * a name in use in any project is a conflict that names no project.
     */
    public VolumeInfo create(String name, VolumeSpec spec, String project) {
        Objects.requireNonNull(name, "name");
        String owner = new Project(project).name();
        if (volumes.info(name).isPresent()) {
            throw new VolumeConflictException("volume " + name + " exists");
        }
        refuseUnless(name, VolumeState.CREATING);
        Intent intent = journal.begin(id -> Intent.create(id, name));
        try {
            states.change(List.of(name), VolumeState.CREATING, this::state);
            projects.assign(List.of(name), owner);
        } catch (RuntimeException e) {
            journal.end(intent, IntentJournal.Outcome.ROLLED_BACK);
            throw e;
        }
        VolumeInfo made;
        try {
            made = volumes.create(name, spec, owner);
        } catch (RuntimeException e) {
            journal.end(intent, removeMade(List.of(name)) ? IntentJournal.Outcome.ROLLED_BACK : IntentJournal.Outcome.FAILED);
            throw e;
        }
        states.set(List.of(name), VolumeState.AVAILABLE);
        journal.end(intent, IntentJournal.Outcome.COMPLETED);
        return made;
    }

    /**
     * Checks a clone set before any clone is made: names valid (backend namespace names, {@link Names}), distinct and free, at most
     * {@link #MAX_CLONES}; the parent exists and is available or attached; the snapshot exists (or,
     * with none named, the parent is a template or has one).
     */
    public void checkCloneSet(String parent, String snapshot, List<String> names) {
        if (names.isEmpty() || names.size() > MAX_CLONES) {
            throw new IllegalArgumentException("a clone set has 1-" + MAX_CLONES + " clones, not " + names.size());
        }
        VolumeInfo p = volumes.info(parent).orElseThrow(() -> new VolumeNotFoundException("no volume " + parent));
        VolumeState ps = state(p);
        if (ps != VolumeState.AVAILABLE && ps != VolumeState.ATTACHED) {
            throw new VolumeConflictException("volume " + parent + " is " + ps.wireName() + "; clones are made of an"
                    + " available or attached volume; no clone was created");
        }
        var snapshots = volumes.open(parent).listSnapshots();
        if (snapshot != null && snapshots.stream().noneMatch(s -> s.name().equals(snapshot))) {
            throw new VolumeNotFoundException("volume " + parent + " has no snapshot " + snapshot + "; no clone was created");
        }
        if (snapshot == null && !p.template() && snapshots.isEmpty()) {
            throw new VolumeConflictException("volume " + parent + " has no snapshot to clone; take one or make it a"
                    + " template; no clone was created");
        }
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            checkName(n);
            if (!seen.add(n)) {
                throw new IllegalArgumentException("clone name " + n + " is given twice; no clone was created");
            }
            if (volumes.info(n).isPresent()) {
                throw new VolumeConflictException("volume " + n + " exists; no clone was created");
            }
            refuseUnless(n, VolumeState.CREATING);
        }
    }

    /**
     * Creates the clones {@code names} of {@code parent} at {@code snapshot}, all or none: checked first
     * ({@link #checkCloneSet}); on a failure or a cancel at clone k, clones 1..k-1 are deleted and a
     * {@link CloneSetFailedException} says so; across a crash the journal rolls the set back unless it
     * committed. The clones are {@code creating} until the last exists, then all {@code available}.
     */
    public List<VolumeInfo> cloneSet(String parent, String snapshot, List<String> names, CloneProgress progress) {
        checkCloneSet(parent, snapshot, names);
        String owner = project(parent);
        Intent intent = journal.begin(id -> Intent.cloneSet(id, parent, snapshot, names));
        try {
            states.change(names, VolumeState.CREATING, this::state);
            projects.assign(names, owner);
        } catch (RuntimeException e) {
            journal.end(intent, IntentJournal.Outcome.ROLLED_BACK);
            throw e;
        }
        List<VolumeInfo> made = new ArrayList<>(names.size());
        try {
            for (String n : names) {
                if (progress.cancelled()) {
                    throw new CloneSetFailedException("the clone set was cancelled after " + made.size() + " of "
                            + names.size() + " clones", null);
                }
                try {
                    step.before(made.size() + 1, n);
                    made.add(volumes.clone(parent, snapshot, n, owner));
                } catch (RuntimeException e) {
                    throw new CloneSetFailedException("clone " + (made.size() + 1) + " of " + names.size() + " (" + n
                            + ") failed: " + e.getMessage(), e);
                }
                progress.made(made.size());
            }
        } catch (RuntimeException e) {
            boolean ours = e instanceof CloneSetFailedException;
            String what = ours ? e.getMessage() : "the clone set failed after " + made.size() + " clones: " + e;
            Throwable cause = ours ? e.getCause() : e;
            if (removeMade(names)) {
                journal.end(intent, IntentJournal.Outcome.ROLLED_BACK);
                throw new CloneSetFailedException(what + "; the " + made.size() + " made were removed", cause);
            }
            throw new CloneSetFailedException(what + "; of the " + made.size() + " made, some could not be removed:"
                    + " they are in state error and the next start tries again", cause);
        }
        states.set(names, VolumeState.AVAILABLE);
        journal.end(intent, IntentJournal.Outcome.COMPLETED);
        return made;
    }

    /**
     * Deletes {@code name}: refused unless it is available or in error (an attached volume is detached
     * first) or while clones depend on it; {@code deleting} while the engine deletes it, then deleted.
     * A failure of the engine after the volume was {@code deleting} leaves it in {@code error}.
     */
    public void delete(String name) {
        VolumeState from = state(name);
        if (from == VolumeState.DELETED) {
            throw new VolumeNotFoundException("no volume " + name);
        }
        if (from == VolumeState.CREATING) {
            throw new LifecycleTransitionException(name, from, VolumeState.DELETING); // only its own rollback may
        }
        refuseUnless(name, VolumeState.DELETING);
        List<String> clones = volumes.list().stream().filter(v -> name.equals(v.parent())).map(VolumeInfo::name).toList();
        if (!clones.isEmpty()) {
            throw new VolumeConflictException("volume '" + name + "' has clones that still read from it: " + clones
                    + "; hydrate and flatten them (`scoria clone hydrate`, `scoria clone flatten`) or delete them first");
        }
        Intent intent = journal.begin(id -> Intent.delete(id, name));
        try {
            pauseAtCommit(name);
            states.change(List.of(name), VolumeState.DELETING, this::state);
        } catch (RuntimeException e) {
            journal.end(intent, IntentJournal.Outcome.ROLLED_BACK);
            throw e;
        }
        pauseAtCommit(name);
        IntentJournal.Outcome outcome;
        try {
            outcome = finishDelete(name, from);
        } catch (RuntimeException e) {
            journal.end(intent, state(name) == from ? IntentJournal.Outcome.ROLLED_BACK : IntentJournal.Outcome.FAILED);
            throw e;
        }
        journal.end(intent, outcome);
    }

    /** Attaches a volume (available, or attached to other hosts) to a host ({@link HostRegistry#attach}). */
    public Attachment attach(Attachment a) {
        HostRegistry r = registry();
        if (volumes.info(a.volume()).isEmpty()) {
            throw new VolumeNotFoundException("no volume " + a.volume());
        }
        refuseUnless(a.volume(), VolumeState.ATTACHED);
        String volumeProject = project(a.volume());
        if (!r.host(a.host()).project().equals(volumeProject)) {
            throw new HostException.Conflict("host " + a.host() + " is not in project " + volumeProject + " of volume "
                    + a.volume() + "; a volume is attached only to hosts of its own project");
        }
        Intent intent = journal.begin(id -> Intent.attach(id, a));
        Attachment done;
        try {
            pauseAtCommit(a.volume());
            done = r.attach(a);
        } catch (RuntimeException e) {
            journal.end(intent, IntentJournal.Outcome.ROLLED_BACK);
            throw e;
        }
        pauseAtCommit(a.volume());
        states.change(List.of(a.volume()), VolumeState.ATTACHED, this::state);
        journal.end(intent, IntentJournal.Outcome.COMPLETED);
        return done;
    }

    /** Detaches a volume from a host: {@code detaching}, then available (or attached, if other hosts remain). */
    public int detach(String volume, String host) {
        HostRegistry r = registry();
        if (r.attachments(volume).stream().noneMatch(a -> a.host().equals(host))) {
            throw new HostException.NotFound("volume " + volume + " is not attached to host " + host);
        }
        refuseUnless(volume, VolumeState.DETACHING);
        Intent intent = journal.begin(id -> Intent.detach(id, volume, host));
        try {
            pauseAtCommit(volume);
            states.change(List.of(volume), VolumeState.DETACHING, this::state);
        } catch (RuntimeException e) {
            journal.end(intent, IntentJournal.Outcome.ROLLED_BACK);
            throw e;
        }
        pauseAtCommit(volume);
        int closed = r.detach(volume, host);
        states.set(List.of(volume), derived(volume));
        journal.end(intent, IntentJournal.Outcome.COMPLETED);
        return closed;
    }

    /**
     * The engine's part of a delete of a volume now {@code deleting}; the outcome for the journal. If the
     * engine refuses before it changed anything (a {@link VolumeConflictException}: clones, a replica) the volume returns to
     * {@code before} (null: recovery, where the refusal leaves it in error).
     */
    IntentJournal.Outcome finishDelete(String name, VolumeState before) {
        try {
            if (volumes.info(name).isPresent()) {
                volumes.delete(name);
            }
        } catch (VolumeNotFoundException gone) {
            log.info("volume {} was gone already", name);
        } catch (VolumeConflictException refused) {
            states.set(List.of(name), before == null ? VolumeState.ERROR : before);
            throw refused;
        } catch (RuntimeException e) {
            states.set(List.of(name), VolumeState.ERROR);
            log.warn("volume {}: its deletion failed ({}); it is in state error, delete it again", name, e.toString());
            throw e;
        }
        states.set(List.of(name), VolumeState.DELETED);
        projects.remove(name);
        return IntentJournal.Outcome.COMPLETED;
    }

    /**
     * Deletes the volumes among {@code names} that this router created in an operation being rolled
     * back (state creating or deleting); true if all are gone, false if one could not be deleted (it is
     * left in state error and the caller keeps the intent open, to retry at the next start).
     */
    boolean removeMade(List<String> names) {
        List<String> ours = names.stream().filter(n -> states.recorded(n)
                .filter(s -> s == VolumeState.CREATING || s == VolumeState.DELETING).isPresent()).toList();
        states.set(ours, VolumeState.DELETING);
        boolean all = true;
        for (String n : ours) {
            try {
                if (volumes.info(n).isPresent()) {
                    volumes.delete(n);
                }
                states.set(List.of(n), VolumeState.DELETED);
                projects.remove(n);
            } catch (VolumeNotFoundException gone) {
                states.set(List.of(n), VolumeState.DELETED);
                projects.remove(n);
            } catch (RuntimeException e) {
                all = false;
                states.set(List.of(n), VolumeState.ERROR);
                log.error("volume {}: cannot remove it while rolling back the operation that created it ({});"
                        + " it is in state error and the rollback is retried at the next start", n, e.toString());
            }
        }
        return all;
    }

    VolumeState derived(String volume) {
        return lookups.derived(volume);
    }

    VolumeStates states() {
        return states;
    }

    IntentJournal journal() {
        return journal;
    }

    HostRegistry hosts() {
        return hosts;
    }

    VolumeProjects projects() {
        return projects;
    }

    LifecycleLookups lookups() {
        return lookups;
    }

    CloneStep step() {
        return step;
    }

    VolumeService volumes() {
        return volumes;
    }

    private HostRegistry registry() {
        if (hosts == null) {
            throw new HostException.NotFound("this router keeps no hosts");
        }
        return hosts;
    }

    /** Sleeps the crash tests' pause (nothing in production) next to a commit point of an operation on {@code volume}. */
    private void pauseAtCommit(String volume) {
        CloneStep.pausing(commitPause).before(0, volume);
    }

    private void refuseUnless(String volume, VolumeState to) {
        lookups.refuseUnless(volume, to);
    }

    private static void checkName(String name) {
        try {
            Names.checkNamespace(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("volume name " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        journal.close();
    }
}
