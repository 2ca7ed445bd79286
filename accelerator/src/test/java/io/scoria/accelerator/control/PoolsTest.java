package io.scoria.accelerator.control;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.testing.GoldTemplate;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pools on a real engine: create, status, reset of idle desktops, reset on detach, recompose, a crash's leftovers,
 * and the project of a pool's desktops.
 */
class PoolsTest {
    private static final int SIZE = 1 << 20;
    @TempDir
    Path dir;
    final InMemoryObjectStore backend = new InMemoryObjectStore();
    LocalVolumeService svc;
    GoldTemplate gold;
    GoldTemplate gold2;
    final Set<String> busy = ConcurrentHashMap.newKeySet();
    VolumeLifecycle lifecycle;
    Pools pools;

    @BeforeEach
    void setUp() {
        svc = new LocalVolumeService(backend, EngineConfig.defaults(dir.resolve("node"))
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20).withRetry(Duration.ofMillis(1), Duration.ofMillis(20)));
        gold = GoldTemplate.create(svc, "gold", SIZE, 1);
        gold2 = GoldTemplate.create(svc, "gold-v2", SIZE, 2);
        lifecycle = VolumeLifecycle.open(dir.resolve("lifecycle"), svc, null, Duration.ZERO);
        pools = new Pools(lifecycle, PoolBook.open(dir.resolve("pools.json")), busy::contains);
    }

    @AfterEach
    void tearDown() {
        lifecycle.close();
        svc.close();
        backend.close();
    }

    private GoldTemplate written(String desk, GoldTemplate base, long seed) {
        GoldTemplate m = base.cloneModel();
        Volume v = svc.open(desk);
        Random r = new Random(seed);
        for (int lba = 0; lba < m.clusters(); lba += 17) {
            m.write(v, lba, r);
        }
        return m;
    }

    @Test
    void resetDiscardsTheWritesOfIdleDesktopsOnly() {
        PoolStatus created = pools.create("desks", "gold", "s1", 3, "desk-", PoolPolicy.RESET_ON_DETACH, Project.DEFAULT);
        assertEquals(3, created.idle());
        assertEquals(List.of("desk-1", "desk-2", "desk-3"), created.desktops().stream().map(PoolStatus.Member::volume).toList());
        assertTrue(created.desktops().stream().allMatch(m -> m.current() && "gold".equals(m.parent())));
        written("desk-1", gold, 11);
        GoldTemplate kept = written("desk-2", gold, 12);
        busy.add("desk-2");

        Pools.Change c = pools.reset("desks");
        assertEquals(List.of("desk-1", "desk-3"), c.reset());
        assertEquals(List.of("desk-2"), c.skippedInUse());
        gold.cloneModel().assertSame(svc.open("desk-1"));
        kept.assertSame(svc.open("desk-2"));
        assertEquals(1, c.status().inUse());

        // the host detaches desk-2: with reset-on-detach its write space goes
        busy.remove("desk-2");
        assertTrue(pools.detached("desk-2"));
        gold.cloneModel().assertSame(svc.open("desk-2"));
        assertFalse(pools.detached("gold"), "not a desktop");
    }

    @Test
    void recomposeMovesIdleDesktopsNowAndBusyOnesWhenIdle() {
        pools.create("desks", "gold", null, 2, "desk-", PoolPolicy.RESET_ON_DETACH, Project.DEFAULT);
        busy.add("desk-2");
        Pools.Change c = pools.recompose("desks", "gold-v2", null, false);
        assertEquals(List.of("desk-1"), c.recreated());
        assertEquals(1, c.status().stale());
        assertEquals("gold-v2", svc.info("desk-1").orElseThrow().parent());
        gold2.cloneModel().assertSame(svc.open("desk-1"));
        gold.cloneModel().assertSame(svc.open("desk-2"));
        busy.clear();
        assertTrue(pools.detached("desk-2"));
        gold2.cloneModel().assertSame(svc.open("desk-2"));
        assertEquals(0, pools.status("desks").stale());
        // the definition is on disk: a router restart sees the new template
        assertEquals("gold-v2", PoolBook.open(dir.resolve("pools.json")).get("desks").orElseThrow().template());
    }

    @Test
    void persistentDesktopsKeepTheirWrites() {
        pools.create("users", "gold", "s1", 1, "user-", PoolPolicy.PERSISTENT, Project.DEFAULT);
        GoldTemplate kept = written("user-1", gold, 13);
        VolumeConflictException reset = assertThrows(VolumeConflictException.class, () -> pools.reset("users"));
        assertTrue(reset.getMessage().contains("persistent"), reset.getMessage());
        assertFalse(pools.detached("user-1"));
        assertThrows(VolumeConflictException.class, () -> pools.recompose("users", "gold-v2", null, false));
        kept.assertSame(svc.open("user-1"));
        pools.recompose("users", "gold-v2", null, true);
        gold2.cloneModel().assertSame(svc.open("user-1"));
    }

    @Test
    void aDesktopLostBetweenDeleteAndCloneIsMadeAgain() {
        pools.create("desks", "gold", "s1", 2, "desk-", PoolPolicy.RESET_ON_DETACH, Project.DEFAULT);
        svc.delete("desk-2"); // as a crash between the delete and the clone of a recompose leaves it
        assertEquals(1, pools.status("desks").missing());
        assertEquals(List.of("desk-2"), pools.reset("desks").recreated());
        assertEquals(0, pools.status("desks").missing());
    }

    /**
     * A pool's desktops belong to its project, not to the template's, also when a recompose or a reset recreates
     * them; a second engine with an empty data directory on the same backend (another router, or this one after
     * losing its data directory) sees the same project; a pools file from before projects reads as default.
     */
    @Test
    void desktopsBelongToThePoolsProjectOnEveryRouterOfTheBackend() throws Exception {
        PoolStatus created = pools.create("desks", "gold", "s1", 2, "desk-", PoolPolicy.RESET_ON_DETACH, "team-a");
        assertEquals("team-a", created.pool().project());
        assertEquals("team-a", svc.info("desk-1").orElseThrow().project());
        assertEquals(Project.DEFAULT, svc.info("gold").orElseThrow().project(), "the template keeps its own project");
        assertEquals(List.of("desk-1", "desk-2"), pools.recompose("desks", "gold-v2", null, false).recreated());
        assertEquals("team-a", svc.info("desk-1").orElseThrow().project(), "recreated desktops too");
        svc.delete("desk-2");
        pools.reset("desks");
        assertEquals("team-a", svc.info("desk-2").orElseThrow().project(), "made again by a reset");
        assertEquals(java.util.Optional.of("team-a"), pools.project("desks"));
        assertEquals(java.util.Optional.empty(), pools.project("nope"));
        assertEquals("team-a", PoolBook.open(dir.resolve("pools.json")).get("desks").orElseThrow().project());
        assertTrue(svc.awaitUploads(Duration.ofSeconds(10)));
        try (LocalVolumeService other = new LocalVolumeService(backend, EngineConfig.defaults(dir.resolve("other"))
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20))) {
            assertEquals("team-a", other.info("desk-1").orElseThrow().project());
            assertEquals(Project.DEFAULT, other.info("gold").orElseThrow().project());
            assertTrue(other.list().stream().filter(v -> v.name().startsWith("desk-"))
                    .allMatch(v -> v.project().equals("team-a")));
        }

        Files.writeString(dir.resolve("old.json"), "{\"version\": 1, \"pools\": [{\"name\": \"old-pool\", \"template\": \"gold\","
                + " \"snapshot\": \"s1\", \"size\": 1, \"prefix\": \"p-\", \"policy\": \"persistent\"}]}");
        assertEquals(Project.DEFAULT, PoolBook.open(dir.resolve("old.json")).get("old-pool").orElseThrow().project());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> pools.create("bad", "gold", "s1", 1, "bad-", PoolPolicy.PERSISTENT, "Team A"));
        assertTrue(bad.getMessage().contains("Team A"), bad.getMessage());
        assertTrue(svc.info("bad-1").isEmpty());
    }

    @Test
    void badDefinitionsAreRefusedAndNothingIsMade() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> PoolPolicy.parse("sometimes"));
        assertThrows(IllegalArgumentException.class, () -> pools.create("desks", "gold", "s1", 0, "desk-",
                PoolPolicy.PERSISTENT, Project.DEFAULT));
        assertThrows(VolumeNotFoundException.class, () -> pools.create("desks", "gold", "nope", 1, "desk-",
                PoolPolicy.PERSISTENT, Project.DEFAULT));
        svc.create("plain", io.scoria.accelerator.VolumeSpec.ofSize(SIZE));
        VolumeConflictException notTemplate = assertThrows(VolumeConflictException.class,
                () -> pools.create("desks", "plain", "s1", 1, "desk-", PoolPolicy.PERSISTENT, Project.DEFAULT));
        assertTrue(notTemplate.getMessage().contains("not a template"), notTemplate.getMessage());
        svc.clone("gold", "s1", "desk-1");
        assertThrows(VolumeConflictException.class, () -> pools.create("desks", "gold", "s1", 2, "desk-",
                PoolPolicy.PERSISTENT, Project.DEFAULT));
        assertTrue(pools.list().isEmpty());
        assertFalse(Files.exists(dir.resolve("pools.json")));
        pools.create("pool-a", "gold", "s1", 1, "pa-", PoolPolicy.PERSISTENT, Project.DEFAULT);
        assertThrows(VolumeConflictException.class, () -> pools.create("pool-b", "gold", "s1", 1, "pa-x", PoolPolicy.PERSISTENT, Project.DEFAULT));
        assertThrows(VolumeNotFoundException.class, () -> pools.status("pool-b"));
        Files.writeString(dir.resolve("bad.json"), "{\"version\": 2, \"pools\": []}");
        assertThrows(IllegalStateException.class, () -> PoolBook.open(dir.resolve("bad.json")));
    }
}
