package io.scoria.accelerator.volume;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.ChangedRanges.Range;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
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
}
