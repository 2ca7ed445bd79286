package io.scoria.accelerator.volume;

import io.scoria.accelerator.HydrationStep;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.testing.GoldTemplate;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.manifest.VolumeManifestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hydration and flatten of a clone on a router that never saw its template (every template read goes
 * to the backend): the clone's own writes, before and during hydration, win; flatten is refused while
 * anything still needs the parent; after it the template can be deleted and every byte of the clone
 * reads right, also on a router that rebuilds the clone from the backend.
 */
class CloneHydrationTest {
    private static final int SIZE = 8 << 20;
    @TempDir
    Path dir;
    FaultInjectingStore store;
    LocalVolumeService svc;
    GoldTemplate gold;

    @BeforeEach
    void setUp() {
        store = new FaultInjectingStore(new InMemoryObjectStore());
        try (LocalVolumeService maker = new LocalVolumeService(store, VolumeBasicsTest.config(dir.resolve("maker")))) {
            gold = GoldTemplate.create(maker, "gold", SIZE, 7);
            assertTrue(maker.awaitUploads(Duration.ofSeconds(30)));
        }
        svc = new LocalVolumeService(store, VolumeBasicsTest.config(dir.resolve("node")));
    }

    @AfterEach
    void tearDown() {
        svc.close();
    }

    static HydrationStep hydrateAll(LocalVolumeService s, String clone, int perStep) {
        HydrationStep step = s.hydrate(clone, 0, perStep);
        while (!step.atEnd()) {
            step = s.hydrate(clone, step.nextCluster(), perStep);
        }
        return step;
    }

    @Test
    void writesOfTheCloneBeforeAndDuringHydrationWin() throws Exception {
        svc.clone("gold", null, "desk");
        Volume desk = svc.open("desk");
        GoldTemplate model = gold.cloneModel();
        Random r = new Random(11);
        for (int lba = 0; lba < 40; lba += 3) {
            model.write(desk, lba, r); // written before hydration
        }
        assertEquals(VolumeInfo.THIN, svc.info("desk").orElseThrow().cloneState());
        // while a step reads the template from the backend, the clone writes a cluster of that step: the
        // write lands between the step's look at the map and its append, the window the check closes
        AtomicLong stepStart = new AtomicLong(-1);
        AtomicInteger raced = new AtomicInteger();
        AtomicLong goldReads = new AtomicLong();
        Random hookRandom = new Random(12);
        store.latency(call -> {
            if (call.namespace().equals("gold") && (call.op() == FaultInjectingStore.Op.GET
                    || call.op() == FaultInjectingStore.Op.READ)) {
                goldReads.incrementAndGet();
                long at = stepStart.getAndSet(-1);
                if (at >= 0 && at + 10 < SIZE / 4096) {
                    model.write(desk, at + 10, hookRandom);
                    raced.incrementAndGet();
                }
            }
            return Duration.ZERO;
        });
        // and another thread writes the second half meanwhile
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            Random tr = new Random(13);
            while (!stop.get()) {
                model.write(desk, SIZE / 4096 / 2 + tr.nextInt(SIZE / 4096 / 2), tr);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        });
        writer.start();
        int copied = 0;
        int skipped = 0;
        long cursor = 0;
        try {
            while (cursor < SIZE / 4096) {
                stepStart.set(cursor);
                HydrationStep step = svc.hydrate("desk", cursor, 256);
                copied += step.copied();
                skipped += step.skipped();
                cursor = step.nextCluster();
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertTrue(raced.get() > 0, "the hook wrote during a step");
        assertTrue(skipped > 0, "clusters written during a step were not copied over them: " + skipped);
        assertTrue(copied > 0);
        assertEquals(0, hydrateAll(svc, "desk", 256).copied(), "a second pass finds nothing left to copy");
        assertEquals(VolumeInfo.INDEPENDENT, svc.info("desk").orElseThrow().cloneState());
        model.assertSame(desk);
        long readsBefore = goldReads.get();
        svc.open("desk").cacheMode(io.scoria.accelerator.CacheMode.NO_CACHE);
        model.assertSame(desk);
        assertEquals(readsBefore, goldReads.get(), "a hydrated clone reads nothing from its template");
    }

    @Test
    void flattenThenDeleteTheTemplateKeepsEveryByte() {
        svc.clone("gold", null, "desk");
        Volume desk = svc.open("desk");
        GoldTemplate model = gold.cloneModel();
        Random r = new Random(21);
        for (int lba = 5; lba < model.clusters(); lba += 97) {
            model.write(desk, lba, r);
        }
        desk.trim(4096L * 3, 4096);
        model.zero(3);
        desk.snapshot("before");
        VolumeConflictException thin = assertThrows(VolumeConflictException.class, () -> svc.flatten("desk"));
        assertTrue(thin.getMessage().contains("still reads") && thin.getMessage().contains("clone hydrate"), thin.getMessage());
        VolumeConflictException refused = assertThrows(VolumeConflictException.class, () -> svc.delete("gold"));
        assertTrue(refused.getMessage().contains("[desk]") && refused.getMessage().contains("flatten"), refused.getMessage());

        hydrateAll(svc, "desk", 256);
        desk.snapshot("after");
        VolumeConflictException snaps = assertThrows(VolumeConflictException.class, () -> svc.flatten("desk"));
        assertTrue(snaps.getMessage().contains("[before]"), snaps.getMessage());
        desk.deleteSnapshot("before");

        VolumeInfo flat = svc.flatten("desk");
        assertNull(flat.parent());
        assertNull(flat.cloneState());
        assertNull(new VolumeManifestStore(store).readLatest("desk").orElseThrow().parent(), "the backend has no parent");
        assertThrows(VolumeConflictException.class, () -> svc.hydrate("desk", 0, 1));
        svc.delete("gold");
        assertFalse(store.namespaceExists("gold"));
        model.assertSame(desk);
        model.write(desk, 7, r);
        model.assertSame(desk);
        desk.flush();
        svc.open("desk").sync();
        assertTrue(svc.awaitUploads(Duration.ofSeconds(30)));
        svc.close();

        try (LocalVolumeService elsewhere = new LocalVolumeService(store, VolumeBasicsTest.config(dir.resolve("other")))) {
            model.assertSame(elsewhere.open("desk")); // rebuilt from the backend alone, the template is gone
        }
        svc = new LocalVolumeService(store, VolumeBasicsTest.config(dir.resolve("node")));
        model.assertSame(svc.open("desk")); // restarted from local flash
    }

    @Test
    void aCloneResetAfterHydrationReadsItsTemplateAgain() {
        svc.clone("gold", null, "desk");
        hydrateAll(svc, "desk", 256);
        assertEquals(VolumeInfo.INDEPENDENT, svc.info("desk").orElseThrow().cloneState());
        svc.resetToParent("desk");
        assertEquals(VolumeInfo.THIN, svc.info("desk").orElseThrow().cloneState());
        assertThrows(VolumeConflictException.class, () -> svc.flatten("desk"));
        gold.cloneModel().assertSame(svc.open("desk"));
    }

    @Test
    void badRequestsAreRefusedWithTheReason() {
        svc.clone("gold", null, "desk");
        VolumeConflictException notClone = assertThrows(VolumeConflictException.class, () -> svc.hydrate("gold", 0, 1));
        assertTrue(notClone.getMessage().contains("template") || notClone.getMessage().contains("not a clone"),
                notClone.getMessage());
        assertThrows(IllegalArgumentException.class, () -> svc.hydrate("desk", -1, 1));
        assertThrows(IllegalArgumentException.class, () -> svc.hydrate("desk", SIZE / 4096 + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> svc.hydrate("desk", 0, 0));
        assertThrows(io.scoria.accelerator.VolumeNotFoundException.class, () -> svc.hydrate("nobody", 0, 1));
        VolumeConflictException flatGold = assertThrows(VolumeConflictException.class, () -> svc.flatten("gold"));
        assertTrue(flatGold.getMessage().contains("gold"), flatGold.getMessage());
    }
}
