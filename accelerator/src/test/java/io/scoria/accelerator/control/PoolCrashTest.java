package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.testing.GoldTemplate;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pool operations cut short, over the real engine (a {@link LocalVolumeService} on an in-memory backend): a
 * {@link VolumeLifecycleTest.Crash} thrown at desktop k of an operation (k-1 made, desktop k cloned and still {@code creating}) runs no
 * clean-up, as a kill -9; then a new engine, lifecycle and {@link Pools} on the same flash, backend and data
 * directory complete the operation. Checked: the pool has its declared size and template, every desktop once and
 * {@code available}, none other with its prefix, the desktops made before the crash were kept (not made again),
 * the journal is empty, and before the restart the frontends' gate refused the half-made desktop.
 */
class PoolCrashTest {
    private static final int SIZE = 1 << 20;
    @TempDir
    Path dir;
    final InMemoryObjectStore backend = new InMemoryObjectStore();
    final Set<String> busy = ConcurrentHashMap.newKeySet();
    GoldTemplate gold;
    GoldTemplate gold2;
    LocalVolumeService svc;
    VolumeLifecycle lifecycle;
    ServingGate gate;
    Pools pools;
    /** The desktop step (from 1, counted over a start) at which a crash or a failure is thrown; 0: none. */
    int crashAt;
    int failAt;
    int made;
    /** Run at each desktop step (before the crash check), to act between two desktops. */
    Runnable atStep = () -> { };

    @BeforeEach
    void setUp() {
        start();
        gold = GoldTemplate.create(svc, "gold", SIZE, 1);
        gold2 = GoldTemplate.create(svc, "gold-v2", SIZE, 2);
    }

    @AfterEach
    void tearDown() {
        lifecycle.close();
        svc.close();
        backend.close();
    }

    private void start() {
        made = 0;
        svc = new LocalVolumeService(backend, EngineConfig.defaults(dir.resolve("node"))
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20)));
        HostRegistry hosts = HostRegistry.open(dir.resolve("data").resolve("hosts.json"));
        lifecycle = VolumeLifecycle.open(dir.resolve("data").resolve("lifecycle"), svc, hosts, (k, name) -> {
            made++;
            atStep.run();
            if (made == failAt) {
                throw new IllegalStateException("backend said no");
            }
            if (made == crashAt) {
                throw new VolumeLifecycleTest.Crash();
            }
        });
        gate = new ServingGate(hosts, lifecycle);
        pools = new Pools(lifecycle, PoolBook.open(dir.resolve("data").resolve("pools.json")), busy::contains);
    }

    /** A kill and a new start on the same backend, flash and data directory, without faults. */
    private void restart() {
        crashAt = 0;
        failAt = 0;
        atStep = () -> { };
        lifecycle.close();
        svc.close();
        start();
    }

    private static List<String> desks(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "desk-" + i).toList();
    }

    /** The pool is whole: each desktop exactly once, available, served, of {@code template}; no other desk- volume. */
    private void assertWhole(int n, String template) {
        List<String> present = svc.list().stream().map(VolumeInfo::name).filter(v -> v.startsWith("desk-")).sorted().toList();
        assertEquals(desks(n).stream().sorted().toList(), present, "exactly the pool's desktops exist");
        for (String d : desks(n)) {
            assertEquals(VolumeState.AVAILABLE, lifecycle.state(d), d);
            assertTrue(gate.unavailable(d).isEmpty(), d + " is served");
            assertEquals(template, svc.info(d).orElseThrow().parent(), d);
        }
        PoolStatus s = pools.status("desks");
        assertEquals(n, s.pool().size());
        assertEquals(template, s.pool().template());
        assertEquals(0, s.missing());
        assertEquals(List.of(), lifecycle.journal().unfinished(), "the journal is empty");
    }

    @Test
    void aCreateKilledAfterKOfNDesktopsIsCompletedAtRestart() {
        GoldTemplate desk1 = gold.cloneModel();
        Random r = new Random(5);
        atStep = () -> {
            if (made == 3) { // desk-1 and desk-2 are available: a user writes to desk-1 before the kill
                desk1.write(svc.open("desk-1"), 3, r);
            }
        };
        crashAt = 4;
        assertThrows(VolumeLifecycleTest.Crash.class, () -> pools.create("desks", "gold", "s1", 8, "desk-", PoolPolicy.RESET_ON_DETACH,
                Project.DEFAULT));
        // the clone of desk-4 was done when the kill came, its state not yet available
        assertTrue(svc.info("desk-4").isPresent());
        assertEquals(VolumeState.CREATING, lifecycle.state("desk-4"));
        assertTrue(gate.unavailable("desk-4").isPresent(), "a half-made desktop is served and listed by no frontend");
        assertEquals(5, pools.status("desks").missing(), "a creating desktop counts as missing");

        restart();
        assertWhole(8, "gold");
        desk1.assertSame(svc.open("desk-1"));
        for (String d : desks(8).subList(1, 8)) {
            gold.cloneModel().assertSame(svc.open(d));
        }
        assertEquals(5, made, "desk-4 (made again after its half-made clone was deleted) to desk-8, nothing else");
    }

    @Test
    void aRecomposeKilledMidwayIsCompletedAtRestartAndLeavesBusyDesktopsStale() {
        pools.create("desks", "gold", "s1", 6, "desk-", PoolPolicy.RESET_ON_DETACH, Project.DEFAULT);
        busy.add("desk-2");
        crashAt = made + 3; // desk-1 and desk-3 recreated, desk-4 deleted, cloned again and still creating
        assertThrows(VolumeLifecycleTest.Crash.class, () -> pools.recompose("desks", "gold-v2", null, false));
        assertEquals(VolumeState.CREATING, lifecycle.state("desk-4"));
        assertTrue(gate.unavailable("desk-4").isPresent());
        assertEquals("gold", svc.info("desk-5").orElseThrow().parent());
        // as a kill between desk-4's creating record and its clone leaves it: creating, no volume
        svc.delete("desk-4");
        assertEquals(VolumeState.CREATING, lifecycle.state("desk-4"));

        restart();
        List<String> present = svc.list().stream().map(VolumeInfo::name).filter(v -> v.startsWith("desk-")).sorted().toList();
        assertEquals(desks(6).stream().sorted().toList(), present);
        PoolStatus s = pools.status("desks");
        assertEquals("gold-v2", s.pool().template());
        assertEquals(0, s.missing());
        assertEquals(1, s.stale(), "only the busy desktop waits");
        assertEquals("gold", svc.info("desk-2").orElseThrow().parent());
        for (String d : List.of("desk-1", "desk-3", "desk-4", "desk-5", "desk-6")) {
            assertEquals("gold-v2", svc.info(d).orElseThrow().parent(), d);
            assertEquals(VolumeState.AVAILABLE, lifecycle.state(d), d);
            gold2.cloneModel().assertSame(svc.open(d));
        }
        assertEquals(3, made, "desk-4, desk-5 and desk-6 were made at restart; desk-1 and desk-3 were kept");
        assertEquals(List.of(), lifecycle.journal().unfinished());
        busy.clear();
        pools.reset("desks");
        assertWhole(6, "gold-v2");
    }

    @Test
    void aCreateKilledBeforeItsDefinitionWasWrittenIsCompletedAtRestart() {
        PoolDefinition def = new PoolDefinition("desks", "gold", "s1", 3, "desk-", PoolPolicy.PERSISTENT, "team-a");
        lifecycle.journal().begin(id -> Intent.pool(id, Intent.Kind.POOL_CREATE, def, def.members()));

        restart();
        assertWhole(3, "gold");
        assertEquals("team-a", svc.info("desk-3").orElseThrow().project());
        assertEquals(def, PoolBook.open(dir.resolve("data").resolve("pools.json")).get("desks").orElseThrow());
    }

    @Test
    void aFailedDesktopEndsTheCreateAsFailedAndTheNextRecomposeMakesTheRest() {
        failAt = 3;
        assertThrows(IllegalStateException.class, () -> pools.create("desks", "gold", "s1", 5, "desk-",
                PoolPolicy.PERSISTENT, Project.DEFAULT));
        assertEquals(List.of(), lifecycle.journal().unfinished(), "ended as failed, not left for a restart");
        assertTrue(svc.info("desk-3").isEmpty(), "the failed desktop was removed");
        assertEquals(VolumeState.DELETED, lifecycle.state("desk-3"));
        assertEquals(3, pools.status("desks").missing());
        assertEquals(List.of("desk-3", "desk-4", "desk-5"), pools.recompose("desks", "gold", "s1", true).recreated());
        assertWhole(5, "gold");
    }
}
