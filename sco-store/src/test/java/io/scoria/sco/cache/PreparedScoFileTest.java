package io.scoria.sco.cache;

import io.scoria.sco.ClusterLocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** SCOs made from a prepared (zero-filled, mapped) file behave like SCOs written with pwrite. */
class PreparedScoFileTest {
    private static final int CLUSTER = 4096;
    private static final int CAPACITY = 16;

    @TempDir
    Path dir;

    private static long sco(int n) {
        return ClusterLocation.of(n, 0, 0, 0);
    }

    private static ByteBuffer cluster(int tag) {
        ByteBuffer b = ByteBuffer.allocateDirect(CLUSTER);
        for (int i = 0; i < CLUSTER; i += 4) {
            b.putInt(i, tag * 31 + i);
        }
        return b;
    }

    private PreparedScoFile prepare(LocalScoCache cache) throws Exception {
        return cache.prepare("ns", CLUSTER * CAPACITY).get(10, TimeUnit.SECONDS);
    }

    @Test
    void mappedAppendsReadBackAndSealToTheSameBytesAndCrcAsWrites() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 1L << 30);
        PreparedScoFile p = prepare(cache);
        assertTrue(p.path().getFileName().toString().endsWith(PreparedScoFile.SUFFIX));
        assertEquals((long) CLUSTER * CAPACITY, Files.size(p.path()), "zero-filled to capacity");
        try (OpenSco mapped = OpenSco.create(cache.file("ns", sco(1)), sco(1), CLUSTER, CAPACITY, p);
             OpenSco written = OpenSco.create(cache.file("ns", sco(2)), sco(2), CLUSTER, CAPACITY)) {
            assertFalse(Files.exists(p.path()), "the prepared file was renamed to the SCO");
            for (int i = 0; i < 5; i++) {
                ByteBuffer c = cluster(i);
                assertEquals(i, mapped.append(c));
                assertEquals(0, c.position(), "position unchanged");
                written.append(c);
            }
            ByteBuffer run = ByteBuffer.allocateDirect(3 * CLUSTER);
            for (int i = 0; i < 3; i++) {
                run.put(cluster(10 + i));
            }
            run.flip();
            assertEquals(5, mapped.append(run, 3));
            written.append(run, 3);
            ByteBuffer back = ByteBuffer.allocateDirect(CLUSTER);
            mapped.read(6, back);
            assertEquals(cluster(11), back.flip(), "a mapped append reads back through the channel");
            int crcMapped = mapped.seal();
            int crcWritten = written.seal();
            assertEquals(crcWritten, crcMapped);
            assertEquals(8L * CLUSTER, Files.size(mapped.path()), "a partly filled SCO is cut to its clusters at seal");
            assertArrayEquals(Files.readAllBytes(written.path()), Files.readAllBytes(mapped.path()));
            assertEquals(crcMapped, OpenSco.checksum(ByteBuffer.wrap(Files.readAllBytes(mapped.path()))));
        }
        cache.close();
    }

    @Test
    void aCrashedMappedScoIsRecoveredToWhatTheTlogReferences() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 1L << 30);
        Path file = cache.file("ns", sco(3));
        OpenSco s = OpenSco.create(file, sco(3), CLUSTER, CAPACITY, prepare(cache));
        for (int i = 0; i < 4; i++) {
            s.append(cluster(i));
        }
        s.close(); // as a kill -9 leaves it: full length, zeros after the appended clusters
        assertEquals((long) CLUSTER * CAPACITY, Files.size(file));
        try (OpenSco r = OpenSco.recover(file, sco(3), CLUSTER, CAPACITY, 3)) {
            assertEquals(3L * CLUSTER, Files.size(file));
            r.append(cluster(99));
            ByteBuffer back = ByteBuffer.allocateDirect(CLUSTER);
            r.read(3, back);
            assertEquals(cluster(99), back.flip());
            r.read(2, back.clear());
            assertEquals(cluster(2), back.flip());
        }
        cache.close();
    }

    @Test
    void leftoverPreparedFilesAreDeletedAtStartAndNotTakenForScos() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 1L << 30);
        PreparedScoFile p = prepare(cache);
        assertEquals(-1, cache.scoIdOf(p.path().getFileName().toString()));
        assertEquals(sco(7), cache.scoIdOf(cache.file("ns", sco(7)).getFileName().toString()));
        assertEquals(ClusterLocation.of(7, 2, 0, 0),
                cache.scoIdOf(cache.file("ns", ClusterLocation.of(7, 2, 0, 0)).getFileName().toString()));
        assertEquals(-1, cache.scoIdOf("0000000z.00.sco"));
        cache.close();
        LocalScoCache again = new LocalScoCache(dir, 1L << 30);
        try (Stream<Path> files = Files.list(dir.resolve("ns"))) {
            assertEquals(0, files.count(), "the prepared file of the previous run is gone");
        }
        assertEquals(0, again.usedBytes());
        PreparedScoFile q = prepare(again);
        q.discard();
        assertFalse(Files.exists(q.path()));
        again.close();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> again.prepare("ns", CLUSTER).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
    }

    @Test
    void aPreparedFileOfTheWrongSizeIsRefusedAndDeleted() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 1L << 30);
        PreparedScoFile p = cache.prepare("ns", CLUSTER * 2).get(10, TimeUnit.SECONDS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenSco.create(cache.file("ns", sco(1)), sco(1), CLUSTER, CAPACITY, p));
        assertTrue(e.getMessage().contains("not " + (long) CLUSTER * CAPACITY), e.getMessage());
        assertFalse(Files.exists(p.path()));
        assertFalse(Files.exists(cache.file("ns", sco(1))));
        cache.close();
    }
}
