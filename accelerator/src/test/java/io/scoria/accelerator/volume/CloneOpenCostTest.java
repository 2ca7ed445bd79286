package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What creating and opening a clone costs on a router that never saw its template: the template's
 * history (its TLogs, 64 MiB of written clusters here) is read once per node and snapshot, into the
 * shared parent map ({@link ParentMaps}); every further clone's creation and open reads none of it and
 * its own map holds only what the clone wrote, also after a clean and after an unclean restart. Before
 * parent maps, every clone replayed the template's TLogs into a map of its own at creation (measured: 4,103
 * TLog records per clone of a 16 MiB template, 65,611 records and 0.5 s per clone of a 256 MiB one), so
 * 1,000 clones of a 20 GiB template meant 1,000 replays of 5 million records and 1,000 maps of them.
 */
class CloneOpenCostTest {
    private static final int C = 4096;
    private static final int MIB = 64;
    private static final int CLUSTERS = MIB * 256;

    @TempDir
    Path dir;
    FaultInjectingStore store;
    final AtomicLong templateTlogGets = new AtomicLong();

    @BeforeEach
    void setUp() {
        store = new FaultInjectingStore(new InMemoryObjectStore());
        try (LocalVolumeService maker = new LocalVolumeService(store, EngineConfig.defaults(dir.resolve("maker")))) {
            maker.create("gold", new VolumeSpec((long) MIB << 20, C, 4 << 20));
            Volume g = maker.open("gold");
            ByteBuffer mb = ByteBuffer.allocate(1 << 20);
            for (int i = 0; i < MIB; i++) {
                for (int c = 0; c < 256; c++) {
                    mb.putInt(c * C, templateValue(i * 256 + c));
                }
                g.write((long) i << 20, mb.clear(), false);
            }
            g.snapshot("s1");
            maker.makeTemplate("gold");
            assertTrue(maker.awaitUploads(Duration.ofSeconds(60)));
        }
        store.latency(call -> {
            if ("gold".equals(call.namespace()) && call.key() != null && call.key().startsWith("tlog/")
                    && call.op() == FaultInjectingStore.Op.GET) {
                templateTlogGets.incrementAndGet();
            }
            return Duration.ZERO;
        });
    }

    private static int templateValue(long lba) {
        return (int) lba + 1;
    }

    private static int firstInt(Volume v, long lba) {
        ByteBuffer b = ByteBuffer.allocate(C);
        v.read(lba * C, b);
        return b.getInt(0);
    }

    private static long ownEntries(LocalVolumeService svc, String clone) {
        return ((LocalVolume) svc.open(clone)).lbaMap().entries();
    }

    @Test
    void theTemplateIsReadOncePerNodeAndEveryCloneHoldsOnlyItsOwnWrites() {
        Path node = dir.resolve("node");
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(node))) {
            svc.clone("gold", null, "desk-0");
            long once = templateTlogGets.get();
            assertTrue(once > 0, "the first clone on this node reads the template's history");
            for (int i = 1; i < 20; i++) {
                svc.clone("gold", null, "desk-" + i);
            }
            assertEquals(once, templateTlogGets.get(), "19 more clones read nothing of the template");
            for (int i = 0; i < 20; i++) {
                assertEquals(0, ownEntries(svc, "desk-" + i), "a new clone's own map holds nothing");
            }
            Volume desk = svc.open("desk-7");
            for (long lba : new long[]{0, 1, 4095, CLUSTERS - 1}) {
                assertEquals(templateValue(lba), firstInt(desk, lba), "inherited cluster " + lba);
            }
            assertTrue(Files.exists(node.resolve(ParentMaps.DIR).resolve("gold")), "one parent map on local flash");
        }
    }

    /**
     * A clone's trims and zeroes of inherited clusters hide the template's data, and its writes win, in the
     * running clone and after a clean restart and an unclean one (map replayed from the clone's own TLogs
     * only); neither restart reads the template's history again.
     */
    @Test
    void trimsAndWritesOfAClonePassRestartsWithoutReadingTheTemplateAgain() {
        Path node = dir.resolve("node");
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(node))) {
            svc.clone("gold", null, "desk");
            Volume desk = svc.open("desk");
            ByteBuffer own = ByteBuffer.allocate(C).putInt(0, -5);
            desk.write(5L * C, own, false);
            desk.trim(9L * C, C);
            desk.writeZeroes(11L * C, C, false);
            assertOwnAndInherited(desk);
            long entries = ((LocalVolume) desk).lbaMap().entries();
            assertTrue(entries > 0 && entries < 10, "the clone's own map holds its three changes: " + entries + " entries");
        }
        long afterCreate = templateTlogGets.get();
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(node))) {
            Volume desk = svc.open("desk");
            assertOwnAndInherited(desk);
            ((LocalVolume) desk).crash();
        }
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(node))) {
            assertOwnAndInherited(svc.open("desk"));
        }
        assertEquals(afterCreate, templateTlogGets.get(), "restarts read nothing of the template");
    }

    /** A flattened clone lies over nothing: deleting its sparse template (and the parent map) leaves its holes readable. */
    @Test
    void aFlattenedCloneReadsItsHolesAfterTheTemplateIsDeleted() {
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(dir.resolve("node")))) {
            svc.create("thin", new VolumeSpec(1 << 20, C, 1 << 20));
            svc.open("thin").write(0, ByteBuffer.allocate(C).putInt(0, 42), false);
            svc.open("thin").snapshot("s1");
            svc.makeTemplate("thin");
            svc.clone("thin", null, "desk");
            CloneHydrationTest.hydrateAll(svc, "desk", 256);
            svc.flatten("desk");
            svc.delete("thin");
            Volume desk = svc.open("desk");
            assertEquals(42, firstInt(desk, 0), "hydrated cluster");
            assertEquals(0, firstInt(desk, 100), "a hole of the deleted template");
        }
    }

    private static void assertOwnAndInherited(Volume desk) {
        assertEquals(-5, firstInt(desk, 5), "the clone's write");
        assertEquals(0, firstInt(desk, 9), "trimmed inherited cluster");
        assertEquals(0, firstInt(desk, 11), "zeroed inherited cluster");
        assertEquals(templateValue(10), firstInt(desk, 10), "inherited cluster");
        assertEquals(templateValue(CLUSTERS - 1), firstInt(desk, CLUSTERS - 1), "inherited cluster");
    }
}
