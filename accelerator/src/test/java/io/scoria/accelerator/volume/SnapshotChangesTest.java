package io.scoria.accelerator.volume;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.ChangedRanges.Range;
import io.scoria.accelerator.HydrationStep;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.GoldTemplate;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.scoria.accelerator.volume.ExtentsSnapshotResizeTest.data;
import static org.junit.jupiter.api.Assertions.*;

/** Changed ranges between two snapshots ({@link SnapshotChanges}) on the real engine. */
class SnapshotChangesTest {
    private static final int C = 4096;
    private static final long ALL = Long.MAX_VALUE / 2;

    private static Range r(long firstCluster, long clusters) {
        return new Range(firstCluster * C, clusters * C);
    }

    /**
     * s1: clusters 0..9; s2: 20..23 and 5 again, trim 8..9, zeroes on 2, and a trim and zeroes on
     * clusters that were never written (40..41, 50: they stay holes, so they are no change); s3: 60.
     */
    private static void history(Volume v) {
        v.write(0, data(10 * C, 1), false);
        v.snapshot("s1");
        v.write(20 * C, data(4 * C, 2), false);
        v.write(5 * C, data(C, 3), false);
        v.trim(8 * C, 2 * C);
        v.writeZeroes(2 * C, C, false);
        v.trim(40 * C, 2 * C);
        v.writeZeroes(50 * C, C, false);
        v.snapshot("s2");
        v.write(60 * C, data(C, 4), false);
        v.snapshot("s3");
        v.write(70 * C, data(C, 5), false); // after the last snapshot: in no answer
    }

    @Test
    void writesTrimsAndZeroesBetweenTwoSnapshotsInOrder(@TempDir Path tmp) {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(128 * C));
            history(svc.open("vol"));
            ChangedRanges c = svc.changes("vol", "s1", "s2", 0, ALL, 1000);
            assertEquals(List.of(r(2, 1), r(5, 1), r(8, 2), r(20, 4)), c.ranges());
            assertEquals(-1, c.next());
            assertEquals(C, c.clusterSize());
            assertEquals(List.of(r(2, 1), r(5, 1), r(8, 2), r(20, 4), r(60, 1)),
                    svc.changes("vol", "s1", "s3", 0, ALL, 1000).ranges());
            assertEquals(List.of(r(60, 1)), svc.changes("vol", "s2", "s3", 0, ALL, 1000).ranges());
        }
    }

    @Test
    void aWindowAndALimitPageThroughTheAnswer(@TempDir Path tmp) {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(128 * C));
            history(svc.open("vol"));
            ChangedRanges first = svc.changes("vol", "s1", "s3", 0, ALL, 2);
            assertEquals(List.of(r(2, 1), r(5, 1)), first.ranges());
            assertEquals(8L * C, first.next());
            ChangedRanges rest = svc.changes("vol", "s1", "s3", first.next(), ALL, 2);
            assertEquals(List.of(r(8, 2), r(20, 4)), rest.ranges());
            assertEquals(60L * C, rest.next());
            assertEquals(List.of(r(60, 1)), svc.changes("vol", "s1", "s3", rest.next(), ALL, 2).ranges());
            assertEquals(List.of(r(21, 3)), svc.changes("vol", "s1", "s3", 21L * C, 20L * C, 10).ranges(),
                    "only the window: 21..40 holds 21..23");
        }
    }

    @Test
    void badQuestionsAreRefusedNamingWhatIsWrong(@TempDir Path tmp) {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(128 * C));
            history(svc.open("vol"));
            var reversed = assertThrows(IllegalArgumentException.class, () -> svc.changes("vol", "s2", "s1", 0, ALL, 10));
            assertTrue(reversed.getMessage().contains("'s2' is not older than snapshot 's1'"), reversed.getMessage());
            assertThrows(IllegalArgumentException.class, () -> svc.changes("vol", "s1", "s1", 0, ALL, 10));
            var missing = assertThrows(VolumeNotFoundException.class, () -> svc.changes("vol", "s1", "nope", 0, ALL, 10));
            assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
            assertThrows(VolumeNotFoundException.class, () -> svc.changes("other", "s1", "s2", 0, ALL, 10));
            assertThrows(IllegalArgumentException.class, () -> svc.changes("vol", "s1", "s2", 100, ALL, 10), "unaligned");
            assertThrows(IllegalArgumentException.class, () -> svc.changes("vol", "s1", "s2", 128L * C, ALL, 10), "past the end");
            assertThrows(IllegalArgumentException.class, () -> svc.changes("vol", "s1", "s2", 0, ALL, 0), "limit");
        }
    }

    @Test
    void deletingASnapshotBetweenThemKeepsTheAnswer(@TempDir Path tmp) {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(128 * C));
            Volume v = svc.open("vol");
            history(v);
            v.deleteSnapshot("s2");
            assertEquals(List.of(r(2, 1), r(5, 1), r(8, 2), r(20, 4), r(60, 1)),
                    svc.changes("vol", "s1", "s3", 0, ALL, 1000).ranges());
        }
    }

    @Test
    void aRouterWithoutLocalStateAnswersFromTheBackend(@TempDir Path tmp) {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("a")))) {
            svc.create("vol", VolumeSpec.ofSize(128 * C));
            history(svc.open("vol"));
            assertTrue(svc.awaitUploads(Duration.ofSeconds(30)));
        }
        try (LocalVolumeService other = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("b")))) {
            assertEquals(List.of(r(2, 1), r(5, 1), r(8, 2), r(20, 4)),
                    other.changes("vol", "s1", "s2", 0, ALL, 1000).ranges());
        }
    }

    /**
     * Hydration copies what a clone reads from its template into the clone's own history, byte for byte:
     * no change the guest could see, so an incremental backup must not copy those clusters again. Only
     * the guest's writes and trims around it are changes, here and on a router that reads the clone's
     * TLogs from the backend.
     */
    @Test
    void clustersHydrationCopiedAreNoChange(@TempDir Path tmp) {
        InMemoryObjectStore store = new InMemoryObjectStore();
        List<Range> guestChanges = List.of(r(3, 1), r(7, 1), r(100, 1), r(200, 1));
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("a")))) {
            GoldTemplate.create(svc, "gold", 256 * C, 5);
            svc.clone("gold", null, "desk");
            Volume desk = svc.open("desk");
            desk.snapshot("s1");
            desk.write(3 * C, data(C, 6), false);
            desk.trim(7 * C, C);
            desk.write(100 * C, data(C, 7), false);
            HydrationStep step = svc.hydrate("desk", 0, 64);
            while (!step.atEnd()) {
                step = svc.hydrate("desk", step.nextCluster(), 64);
            }
            assertEquals(VolumeInfo.INDEPENDENT, svc.info("desk").orElseThrow().cloneState(), "hydrated");
            desk.write(200 * C, data(C, 8), false); // overwrites a hydrated cluster: a change
            desk.snapshot("s2");
            assertEquals(guestChanges, svc.changes("desk", "s1", "s2", 0, ALL, 1000).ranges());
            assertTrue(svc.awaitUploads(Duration.ofSeconds(30)));
        }
        try (LocalVolumeService other = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("b")))) {
            assertEquals(guestChanges, other.changes("desk", "s1", "s2", 0, ALL, 1000).ranges());
        }
    }
}
