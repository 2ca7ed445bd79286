package io.scoria.accelerator.volume;

import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The allocation runs {@link LocalVolume#extents} reports (own writes, inherited template ranges,
 * trims and zero writes as holes), snapshot views ({@link SnapshotVolume}) and online resize.
 */
class ExtentsSnapshotResizeTest {
    private static final int C = 4096;

    /** One run: length and whether it reads as zeros. */
    record Run(long length, boolean zero) {
    }

    static List<Run> runs(Volume v, long offset, long length) {
        List<Run> out = new ArrayList<>();
        v.extents(offset, length, (len, zero) -> out.add(new Run(len, zero)));
        return out;
    }

    static ByteBuffer data(int length, int seed) {
        byte[] b = new byte[length];
        new java.util.Random(seed).nextBytes(b);
        b[0] |= 1; // never an all-zero cluster
        for (int i = 0; i < length; i += C) {
            b[i] |= 1;
        }
        return ByteBuffer.wrap(b);
    }

    @Test
    void writesAreDataAndTrimsZerosAndUnwrittenAreHoles(@TempDir Path tmp) {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(64 * C));
            Volume v = svc.open("vol");
            assertEquals(List.of(new Run(64 * C, true)), runs(v, 0, 64 * C), "a new volume is one hole");
            v.write(4 * C, data(8 * C, 1), false);       // clusters 4..11
            v.write(20 * C, data(4 * C, 2), false);      // 20..23
            v.trim(6 * C, 2 * C);                        // 6..7 holes again
            v.writeZeroes(22 * C, C, false);             // 22 hole
            v.write(30 * C, ByteBuffer.allocate(C), false); // a cluster of zeros stores nothing
            assertEquals(List.of(new Run(4 * C, true), new Run(2 * C, false), new Run(2 * C, true), new Run(4 * C, false),
                    new Run(8 * C, true), new Run(2 * C, false), new Run(C, true), new Run(C, false), new Run(40 * C, true)),
                    runs(v, 0, 64 * C));
            // unaligned start and end: the first run starts at the offset, the last ends at a cluster boundary
            assertEquals(List.of(new Run(C - 100, true), new Run(2 * C, false), new Run(C, true)),
                    runs(v, 3 * C + 100, 3 * C));
            List<Run> stopped = new ArrayList<>();
            v.extents(0, 64 * C, (len, zero) -> stopped.add(new Run(len, zero)) && false);
            assertEquals(List.of(new Run(4 * C, true)), stopped, "a sink that stops gets no more runs");
            assertThrows(IllegalArgumentException.class, () -> runs(v, 63 * C, 2 * C), "past the end");
            assertThrows(IllegalArgumentException.class, () -> runs(v, 0, 0), "empty");
            assertThrows(IllegalArgumentException.class, () -> runs(v, -1, C), "negative");
        }
    }

    @Test
    void aCloneReportsItsTemplatesRangesAsData(@TempDir Path tmp) {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("gold", VolumeSpec.ofSize(32 * C));
            svc.open("gold").write(0, data(8 * C, 3), false);
            svc.makeTemplate("gold");
            svc.clone("gold", null, "desk");
            Volume d = svc.open("desk");
            d.write(16 * C, data(C, 4), false);
            d.trim(2 * C, C);
            assertEquals(List.of(new Run(2 * C, false), new Run(C, true), new Run(5 * C, false), new Run(8 * C, true),
                    new Run(C, false), new Run(15 * C, true)), runs(d, 0, 32 * C));
        }
    }

    @Test
    void aSnapshotViewReadsTheSnapshotAndRefusesWrites(@TempDir Path tmp) throws Exception {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(32 * C));
            Volume v = svc.open("vol");
            ByteBuffer first = data(4 * C, 5);
            v.write(0, first, false);
            v.snapshot("s1");
            v.write(0, data(4 * C, 6), false);
            v.write(10 * C, data(C, 7), false);
            try (Volume s = svc.openSnapshot("vol", "s1")) {
                assertTrue(s.isReadOnly());
                assertEquals("vol@s1", s.name());
                ByteBuffer got = ByteBuffer.allocate(4 * C);
                s.read(0, got);
                assertArrayEquals(first.array(), got.array(), "the snapshot's bytes, not the later write");
                assertEquals(List.of(new Run(4 * C, false), new Run(28 * C, true)), runs(s, 0, 32 * C));
                assertThrows(ReadOnlyVolumeException.class, () -> s.write(0, data(C, 8), false));
                assertThrows(ReadOnlyVolumeException.class, () -> s.trim(0, C));
                assertThrows(ReadOnlyVolumeException.class, () -> s.writeZeroes(0, C, false));
                s.close();
                assertThrows(VolumeConflictException.class, () -> s.read(0, ByteBuffer.allocate(C)), "closed");
            }
            try (var views = Files.list(tmp.resolve("snapshot-views"))) {
                assertEquals(0, views.count(), "closing a view deletes its map");
            }
            assertThrows(VolumeNotFoundException.class, () -> svc.openSnapshot("vol", "nope"));
            assertThrows(VolumeNotFoundException.class, () -> svc.openSnapshot("nothere", "s1"));
        }
    }

    @Test
    void resizeGrowsOnlineAndShrinksOnlyUnwrittenRangesWithForce(@TempDir Path tmp) {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(16 * C));
            Volume v = svc.open("vol");
            v.write(2 * C, data(C, 9), false);
            assertThrows(IllegalArgumentException.class, () -> v.write(20 * C, data(C, 1), false), "past the end before");
            assertEquals(64L * C, svc.resize("vol", 64 * C, false).spec().sizeBytes());
            assertEquals(64L * C, v.size(), "the open volume grew");
            ByteBuffer late = data(C, 10);
            v.write(40 * C, late, false);
            assertThrows(VolumeConflictException.class, () -> svc.resize("vol", 32 * C, false), "shrink needs force");
            VolumeConflictException cut = assertThrows(VolumeConflictException.class, () -> svc.resize("vol", 32 * C, true));
            assertTrue(cut.getMessage().contains("cluster 40"), cut.getMessage());
            v.trim(40 * C, C);
            assertThrows(VolumeConflictException.class, () -> svc.resize("vol", 32 * C, true),
                    "the cut range was written once: history (TLogs) still holds it");
            assertEquals(48L * C, svc.resize("vol", 48 * C, true).spec().sizeBytes(), "a never-written tail may go");
            assertThrows(IllegalArgumentException.class, () -> svc.resize("vol", 48 * C + 1, false));
            assertThrows(IllegalArgumentException.class, () -> svc.resize("vol", 0, true));
            v.snapshot("after");
        }
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp))) {
            Volume v = svc.open("vol");
            assertEquals(48L * C, v.size(), "the size is in the manifest");
            ByteBuffer got = ByteBuffer.allocate(C);
            v.read(2 * C, got);
            assertArrayEquals(data(C, 9).array(), got.array());
        }
        Path other = tmp.resolve("other-node");
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(other))) {
            svc.awaitUploads(java.time.Duration.ofSeconds(5));
            assertEquals(48L * C, svc.open("vol").size(), "rebuilt from the backend's manifest");
        }
    }

    static byte[] bytes(ByteBuffer b) {
        return Arrays.copyOf(b.array(), b.remaining());
    }
}
