package io.scoria.benchmarks.volume;

import io.scoria.accelerator.metadata.LbaBatch;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * TLog replay speed, one thread, in TLog entries per second: parsing and CRC-checking a sealed
 * TLog of {@link #ENTRIES} cluster entries (random LBAs of a 4 GiB volume), and the same replay
 * applied to an empty chronicle-map LBA map (what a restart or rebuild does) through the bulk
 * path {@link LbaBatch} (what the volume uses) and through one {@link LbaMap#put} per entry (the
 * peer). Also single {@code put} (overwrite) and {@code get} of random LBAs on the filled map, in
 * operations per second.
 */
@State(Scope.Benchmark)
@Threads(1)
public class TLogReplayBenchmark extends EngineBenchmark {
    static final int ENTRIES = 1_000_000;
    private static final long VOLUME_CLUSTERS = 1L << 20;

    private Path dir;
    private ByteBuffer tlog;
    private LbaMap filled;
    private final LbaEntry entry = new LbaEntry();
    private final SplittableRandom random = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("scoria-bench-tlog");
        SplittableRandom r = new SplittableRandom(42);
        try (TLogWriter w = TLogWriter.create(dir.resolve("t"), 1, ENTRIES + 16, 4096)) {
            for (int i = 0; i < ENTRIES; i++) {
                w.cluster(r.nextLong(VOLUME_CLUSTERS), ClusterLocation.of(1 + i / 1024, 0, 0, i % 1024), r.nextLong(), r.nextLong(),
                        r.nextInt());
            }
            w.seal();
            ByteBuffer c = w.contents();
            tlog = ByteBuffer.allocateDirect(c.remaining()).put(c).flip();
        }
        filled = LbaMap.open(dir.resolve("filled.map"), VOLUME_CLUSTERS, VOLUME_CLUSTERS);
        replayInto(filled);
    }

    /** The replay target: emptied before each replay, as after a lost or stale map file. */
    @State(Scope.Benchmark)
    public static class EmptyMap {
        private Path dir;
        LbaMap map;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("scoria-bench-replay");
            map = LbaMap.open(dir.resolve("replay.map"), VOLUME_CLUSTERS, VOLUME_CLUSTERS);
        }

        @Setup(Level.Invocation)
        public void clear() {
            map.clear();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            map.close();
            deleteTree(dir);
        }
    }

    private void replayInto(LbaMap m) {
        try (LbaBatch batch = m.batch(ENTRIES)) {
            TLogReader.replaySealed(tlog, "bench", batch::put);
            batch.flush();
        }
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public void parse(Blackhole bh) {
        long[] sum = new long[1];
        TLogVisitor v = (lba, loc, hi, lo, crc) -> sum[0] += lba ^ loc;
        TLogReader.replaySealed(tlog, "bench", v);
        bh.consume(sum[0]);
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public void replayIntoLbaMap(EmptyMap target) {
        replayInto(target.map);
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public void replayByPuts(EmptyMap target) {
        TLogReader.replaySealed(tlog, "bench", target.map::put);
    }

    @Benchmark
    public void put() {
        long lba = random.nextLong(VOLUME_CLUSTERS);
        filled.put(lba, ClusterLocation.of(7, 0, 0, (int) lba & 0xFFFF), lba, ~lba, (int) lba);
    }

    @Benchmark
    public long get() {
        filled.get(random.nextLong(VOLUME_CLUSTERS), entry);
        return entry.location;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        filled.close();
        deleteTree(dir);
    }

}
