package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.backend.metering.RequestCounts;
import io.scoria.backend.metering.RequestLedger;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cold reads on a node that holds nothing of the volume: a sequential read costs about one
 * ranged GET per MiB, whatever the request size; a random 4 KiB read is one ranged GET of 4 KiB.
 */
class ColdReadCoalescingTest {
    private static final int MIB = 1 << 20;
    private static final int SEQUENTIAL = 10 * MIB + 3 * 4096; // 4 MiB SCOs: two full, one short
    private static final long RANDOM_AT = 32L * MIB;

    @TempDir
    Path tmp;
    private final InMemoryObjectStore mem = new InMemoryObjectStore();
    private final RequestLedger ledger = new RequestLedger();
    private final CountingObjectStore store = new CountingObjectStore(mem, "mem", ledger);
    private final byte[] image = new byte[SEQUENTIAL];
    private final byte[] scattered = new byte[64 * 4096];

    @BeforeEach
    void writeOnAnotherNode() {
        Random r = new Random(5);
        r.nextBytes(image);
        r.nextBytes(scattered);
        try (LocalVolumeService a = new LocalVolumeService(store, config("a", EngineConfig.DEFAULT_READ_AHEAD))) {
            a.create("vol", VolumeSpec.ofSize(64L * MIB));
            Volume v = a.open("vol");
            v.write(0, ByteBuffer.wrap(image), false);
            // 64 clusters written in a shuffled order: neighbours on the volume are not neighbours in the SCO
            Integer[] order = new Integer[64];
            Arrays.setAll(order, i -> i);
            java.util.Collections.shuffle(Arrays.asList(order), r);
            for (int i : order) {
                v.write(RANDOM_AT + i * 4096L, ByteBuffer.wrap(scattered, i * 4096, 4096), false);
            }
            a.closeVolume("vol");
            assertTrue(a.awaitUploads(Duration.ofSeconds(60)));
        }
    }

    private EngineConfig config(String node, int readAhead) {
        return EngineConfig.defaults(tmp.resolve(node)).withScoCacheBytes(64L * MIB).withClusterCacheBytes(64L * MIB)
                .withReadAheadBytes(readAhead).withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
    }

    private RequestCounts reading(Runnable reads) {
        RequestCounts before = ledger.counts("mem", "vol");
        reads.run();
        return ledger.counts("mem", "vol").minus(before);
    }

    private static void readInto(Volume v, long off, byte[] expect, int from, int length, int request) {
        ByteBuffer buf = ByteBuffer.allocate(request);
        for (int done = 0; done < length; done += request) {
            int n = Math.min(request, length - done);
            buf.clear().limit(n);
            v.read(off + done, buf);
            assertArrayEquals(Arrays.copyOfRange(expect, from + done, from + done + n), Arrays.copyOf(buf.array(), n),
                    "bytes at " + (off + done));
        }
    }

    @Test
    void sequentialColdReadsCostAboutOneGetPerMibWhateverTheRequestSize() {
        try (LocalVolumeService b = new LocalVolumeService(store, config("b", EngineConfig.DEFAULT_READ_AHEAD))) {
            Volume v = b.open("vol");
            RequestCounts big = reading(() -> readInto(v, 0, image, 0, 4 * MIB, 128 << 10));
            assertTrue(big.rangedGets() <= 5, "4 MiB in 128 KiB requests: " + big);
            RequestCounts small = reading(() -> readInto(v, 4L * MIB, image, 4 * MIB, SEQUENTIAL - 4 * MIB, 4096));
            assertTrue(small.rangedGets() <= 8 + 2, "6 MiB in 4 KiB requests, the last SCO short: " + small);
            assertTrue(small.bytesOut() <= 7L * MIB, "read-ahead stays within the SCOs: " + small);
        }
    }

    @Test
    void aRandomColdClusterIsOneRangedGetOfThatCluster() {
        try (LocalVolumeService b = new LocalVolumeService(store, config("b", EngineConfig.DEFAULT_READ_AHEAD))) {
            Volume v = b.open("vol");
            for (long lba : new long[]{700, 3, 1900}) {
                RequestCounts one = reading(() -> readInto(v, lba * 4096, image, (int) lba * 4096, 4096, 4096));
                assertEquals(1, one.rangedGets(), "cluster " + lba + ": " + one);
                assertEquals(4096, one.bytesOut(), "cluster " + lba + ": " + one);
            }
            // clusters that are neighbours on the volume but not in their SCO are fetched one by one
            RequestCounts shuffled = reading(() -> readInto(v, RANDOM_AT, scattered, 0, 16 * 4096, 16 * 4096));
            assertTrue(shuffled.bytesOut() <= 16 * 4096 * 4, "no window read for scattered clusters: " + shuffled);
        }
    }

    @Test
    void withoutReadAheadEveryClusterIsItsOwnGet() {
        try (LocalVolumeService b = new LocalVolumeService(store, config("b", 0))) {
            Volume v = b.open("vol");
            RequestCounts c = reading(() -> readInto(v, 0, image, 0, MIB, 128 << 10));
            assertEquals(256, c.rangedGets(), c.toString());
        }
    }

    /**
     * The node keeps fetched ranges by (namespace, SCO, offset), and a volume deleted and made again
     * under the same name numbers its SCOs from the start again: a range another router fetched of the
     * old volume must never be served for the new one (the CRC32C of the map tells them apart; the kept
     * range is dropped and the cluster read from the backend).
     */
    @Test
    void aVolumeMadeAgainUnderTheSameNameIsNeverServedTheOldOnesFetchedRanges() {
        byte[] second = new byte[2 * MIB];
        new Random(99).nextBytes(second);
        try (LocalVolumeService b = new LocalVolumeService(store, config("b", EngineConfig.DEFAULT_READ_AHEAD))) {
            readInto(b.open("vol"), 0, image, 0, 2 * MIB, 64 << 10); // b keeps ranges of the old volume's first SCO
            b.closeVolume("vol");
            b.forgetLocal("vol");
            try (LocalVolumeService a = new LocalVolumeService(store, config("a", EngineConfig.DEFAULT_READ_AHEAD))) {
                a.delete("vol");
                a.create("vol", VolumeSpec.ofSize(64L * MIB));
                a.open("vol").write(0, ByteBuffer.wrap(second), false);
                a.closeVolume("vol");
                assertTrue(a.awaitUploads(Duration.ofSeconds(60)));
            }
            readInto(b.open("vol"), 0, second, 0, 2 * MIB, 64 << 10);
        }
    }
}
