package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle over the real engine (a {@link LocalVolumeService} on an in-memory backend): clone sets
 * all or none, in process (a failing step before clone k) and across a simulated kill (a thrown
 * {@link Crash} before clone k, which runs no clean-up,
 * then a new engine and lifecycle on the same flash, backend and data directory), deletes, attaches
 * and detaches with their states and refusals.
 */
class VolumeLifecycleTest {
    @TempDir
    Path dir;
    final InMemoryObjectStore store = new InMemoryObjectStore();
    LocalVolumeService volumes;
    /** The clone (from 1, counted over the test) that fails (an exception) or kills (a {@link Crash}); 0: none. */
    int failAt;
    int crashAt;
    int clones;
    HostRegistry hosts;
    VolumeLifecycle lifecycle;

    /** A kill -9 at a step: an Error, which no clean-up of the lifecycle catches. */
    static final class Crash extends Error {
        Crash() {
            super("killed");
        }
    }

    @BeforeEach
    void setUp() {
        start();
        VolumeSpec spec = new VolumeSpec(16 << 20, 4096, 1 << 20);
        lifecycle.create("golden", spec);
        volumes.open("golden").write(0, ByteBuffer.wrap(new byte[8192]).put(0, (byte) 7), false);
        volumes.open("golden").snapshot("s1");
    }

    @AfterEach
    void tearDown() {
        lifecycle.close();
        volumes.close();
    }

    private void start() {
        volumes = new LocalVolumeService(store, EngineConfig.defaults(dir.resolve("flash"))
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20)));
        hosts = HostRegistry.open(dir.resolve("data").resolve("hosts.json"));
        lifecycle = VolumeLifecycle.open(dir.resolve("data").resolve("lifecycle"), volumes, hosts, (k, name) -> {
            clones++;
            if (clones == failAt) {
                throw new IllegalStateException("backend said no");
            }
            if (clones == crashAt) {
                throw new Crash();
            }
        });
    }

    /** A kill and a new start on the same backend, flash and data directory. */
    private void restart() {
        lifecycle.close();
        volumes.close();
        start();
    }

    private static List<String> names(String prefix, int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> prefix + i).toList();
    }

    private List<String> existing(List<String> names) {
        return names.stream().filter(n -> volumes.info(n).isPresent()).toList();
    }

    @Test
    void aCloneSetMakesEveryCloneAvailableAndLeavesTheJournalEmpty() throws Exception {
        List<String> names = names("vm", 5);
        List<Integer> progress = new ArrayList<>();
        List<VolumeInfo> made = lifecycle.cloneSet("golden", "s1", names, new VolumeLifecycle.CloneProgress() {
            @Override
            public void made(int done) {
                progress.add(done);
            }
        });
        assertEquals(names, made.stream().map(VolumeInfo::name).toList());
        assertEquals(List.of(1, 2, 3, 4, 5), progress);
        for (String n : names) {
            assertEquals(VolumeState.AVAILABLE, lifecycle.state(n));
        }
        assertEquals(IntentJournal.HEADER_BYTES, Files.size(dir.resolve("data/lifecycle/journal")));
        restart();
        assertEquals(names, existing(names));
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("vm3"));
    }

    @Test
    void aFailureAtCloneKRemovesTheClonesMadeBeforeIt() {
        failAt = 4;
        List<String> names = names("vm", 6);
        CloneSetFailedException e = assertThrows(CloneSetFailedException.class,
                () -> lifecycle.cloneSet("golden", "s1", names, VolumeLifecycle.CloneProgress.NONE));
        assertTrue(e.getMessage().contains("clone 4 of 6 (vm4) failed") && e.getMessage().contains("the 3 made were removed"),
                e.getMessage());
        assertEquals(List.of(), existing(names));
        for (String n : names) {
            assertEquals(VolumeState.DELETED, lifecycle.state(n));
        }
        assertTrue(lifecycle.journal().unfinished().isEmpty());
        failAt = 0;
        assertEquals(6, lifecycle.cloneSet("golden", "s1", names, VolumeLifecycle.CloneProgress.NONE).size(),
                "the names are free again");
    }

    @Test
    void aCancelRemovesTheClonesMade() {
        int[] made = new int[1];
        List<String> names = names("vm", 5);
        CloneSetFailedException e = assertThrows(CloneSetFailedException.class, () -> lifecycle.cloneSet("golden", null, names,
                new VolumeLifecycle.CloneProgress() {
                    @Override
                    public void made(int done) {
                        made[0] = done;
                    }

                    @Override
                    public boolean cancelled() {
                        return made[0] == 2;
                    }
                }));
        assertTrue(e.getMessage().contains("cancelled after 2 of 5 clones; the 2 made were removed"), e.getMessage());
        assertEquals(List.of(), existing(names));
    }

    @Test
    void everythingIsCheckedBeforeTheFirstClone() {
        lifecycle.create("vm3", new VolumeSpec(16 << 20, 4096, 1 << 20));
        VolumeConflictException taken = assertThrows(VolumeConflictException.class,
                () -> lifecycle.cloneSet("golden", "s1", names("vm", 5), VolumeLifecycle.CloneProgress.NONE));
        assertTrue(taken.getMessage().contains("vm3 exists"), taken.getMessage());
        assertThrows(VolumeNotFoundException.class,
                () -> lifecycle.cloneSet("golden", "nope", names("c", 2), VolumeLifecycle.CloneProgress.NONE));
        assertThrows(VolumeNotFoundException.class,
                () -> lifecycle.cloneSet("missing", "s1", names("c", 2), VolumeLifecycle.CloneProgress.NONE));
        assertThrows(VolumeConflictException.class, () -> lifecycle.cloneSet("vm3", null, names("c", 2),
                VolumeLifecycle.CloneProgress.NONE), "vm3 has no snapshot and is no template");
        assertThrows(IllegalArgumentException.class, () -> lifecycle.cloneSet("golden", "s1", List.of("c1", "c1"),
                VolumeLifecycle.CloneProgress.NONE));
        assertThrows(IllegalArgumentException.class, () -> lifecycle.cloneSet("golden", "s1", List.of("bad/name"),
                VolumeLifecycle.CloneProgress.NONE));
        assertEquals(0, clones, "no clone was attempted");
        assertEquals(List.of(), existing(names("c", 2)));
    }

    @Test
    void aKillInTheMiddleOfACloneSetIsRolledBackAtStart() {
        crashAt = 4;
        List<String> names = names("vm", 6);
        assertThrows(Crash.class, () -> lifecycle.cloneSet("golden", "s1", names, VolumeLifecycle.CloneProgress.NONE));
        assertEquals(names.subList(0, 3), existing(names), "the kill left three clones");
        assertEquals(VolumeState.CREATING, lifecycle.state("vm1"));
        restart();
        assertEquals(List.of(), existing(names));
        assertTrue(lifecycle.journal().unfinished().isEmpty());
        for (String n : names) {
            assertEquals(VolumeState.DELETED, lifecycle.state(n));
        }
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("golden"), "the parent is untouched");
    }

    @Test
    void aCloneSetKilledAfterItsCommitIsCompletedAtStart() {
        List<String> names = names("vm", 3);
        Intent i = lifecycle.journal().begin(id -> Intent.cloneSet(id, "golden", "s1", names));
        lifecycle.states().set(names, VolumeState.CREATING);
        names.forEach(n -> volumes.clone("golden", "s1", n));
        lifecycle.states().set(names, VolumeState.AVAILABLE); // the commit; the kill comes before the end record
        restart();
        assertEquals(names, existing(names));
        assertTrue(lifecycle.journal().unfinished().isEmpty());
        assertTrue(lifecycle.journal().unfinished().stream().noneMatch(x -> x.id().equals(i.id())));
    }

    @Test
    void aKilledDeleteIsFinishedOnceDeletingElseNothingChanged() {
        lifecycle.cloneSet("golden", "s1", List.of("vol-a", "vol-b"), VolumeLifecycle.CloneProgress.NONE);
        lifecycle.journal().begin(id -> Intent.delete(id, "vol-a"));
        lifecycle.states().set(List.of("vol-a"), VolumeState.DELETING);
        lifecycle.journal().begin(id -> Intent.delete(id, "vol-b")); // killed before b became deleting
        restart();
        assertTrue(volumes.info("vol-a").isEmpty(), "a half-deleted volume is deleted, never available");
        assertEquals(VolumeState.DELETED, lifecycle.state("vol-a"));
        assertTrue(volumes.info("vol-b").isPresent());
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("vol-b"));
        assertTrue(lifecycle.journal().unfinished().isEmpty());
    }

    @Test
    void aKilledCreateIsRolledBack() {
        lifecycle.journal().begin(id -> Intent.create(id, "half"));
        lifecycle.states().set(List.of("half"), VolumeState.CREATING);
        volumes.create("half", new VolumeSpec(16 << 20, 4096, 1 << 20));
        restart();
        assertTrue(volumes.info("half").isEmpty());
        assertEquals(VolumeState.DELETED, lifecycle.state("half"));
    }

    @Test
    void aVolumeRemovedBehindTheLifecyclesBackReadsAsDeletedAndItsNameIsFree() {
        VolumeSpec spec = new VolumeSpec(16 << 20, 4096, 1 << 20);
        lifecycle.create("other", spec);
        volumes.delete("other"); // as another router of the same backend would
        assertEquals(VolumeState.DELETED, lifecycle.state("other"));
        lifecycle.create("other", spec);
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("other"));
    }

    @Test
    void attachDetachAndDeleteFollowTheTable() {
        hosts.add(new Host("h1", null, "h1", null, null, null));
        hosts.add(new Host("h2", null, "h2", null, null, null));
        lifecycle.cloneSet("golden", "s1", List.of("vm0"), VolumeLifecycle.CloneProgress.NONE);
        lifecycle.attach(new Attachment("vm0", "h1", false, true));
        assertEquals(VolumeState.ATTACHED, lifecycle.state("vm0"));
        lifecycle.attach(new Attachment("vm0", "h2", false, true));
        LifecycleTransitionException refused = assertThrows(LifecycleTransitionException.class, () -> lifecycle.delete("vm0"));
        assertEquals(VolumeState.ATTACHED, refused.from());
        assertEquals(VolumeState.DELETING, refused.to());
        lifecycle.detach("vm0", "h1");
        assertEquals(VolumeState.ATTACHED, lifecycle.state("vm0"), "h2 remains");
        lifecycle.detach("vm0", "h2");
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("vm0"));
        assertThrows(VolumeConflictException.class, () -> lifecycle.delete("golden"), "golden has clones");
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("golden"));
        lifecycle.delete("vm0");
        assertEquals(VolumeState.DELETED, lifecycle.state("vm0"));
        assertThrows(VolumeNotFoundException.class, () -> lifecycle.delete("vm0"));
    }

    @Test
    void aKilledDetachIsFinishedAndAKilledAttachFollowsTheRegistry() {
        hosts.add(new Host("h1", null, "h1", null, null, null));
        lifecycle.cloneSet("golden", "s1", List.of("vm0", "vm2"), VolumeLifecycle.CloneProgress.NONE);
        lifecycle.attach(new Attachment("vm0", "h1", false, false));
        lifecycle.journal().begin(id -> Intent.detach(id, "vm0", "h1"));
        lifecycle.states().set(List.of("vm0"), VolumeState.DETACHING);
        Attachment a = new Attachment("vm2", "h1", true, false);
        lifecycle.journal().begin(id -> Intent.attach(id, a));
        hosts.attach(a); // the registry's write landed, the state did not
        restart();
        assertEquals(List.of(), hosts.attachments("vm0"));
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("vm0"));
        assertEquals(List.of(a), hosts.attachments("vm2"));
        assertEquals(VolumeState.ATTACHED, lifecycle.state("vm2"));
        assertTrue(lifecycle.journal().unfinished().isEmpty());
    }
}
