package io.scoria.benchmarks.volume;

import io.scoria.accelerator.metadata.LbaBatch;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * TLog replay speed, one thread, in TLog entries per second: parsing and CRC-checking a sealed
 * TLog of {@link #ENTRIES} cluster entries (random LBAs of a 4 GiB volume), and the same replay
 * applied to an empty chronicle-map LBA map (what a restart or rebuild does) through the bulk
 * path {@link LbaBatch} (what the volume uses) and through one {@link LbaMap#put} per entry (the
 * peer). Also single {@code put} (overwrite) and {@code get} of random LBAs on the filled map, in
 * operations per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "-Dchronicle.analytics.disable=true"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class TLogReplayBenchmark {
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
            delete(dir);
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
        delete(dir);
    }

    private static void delete(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
