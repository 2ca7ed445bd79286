package io.scoria.benchmarks.volume;

import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Cost of one {@link LbaMap#put} (overwrite of a written LBA, what the write path does per 4 KiB
 * write) and one {@link LbaMap#get} (of a written LBA, the read path), on a map holding
 * {@link #WRITTEN} clusters: {@code dense} = LBAs 0..WRITTEN-1 of a volume of that size,
 * {@code middle} = WRITTEN random LBAs of a volume 3 times that size, {@code sparse} = WRITTEN
 * random LBAs of a 16 TiB volume. Operations per second, one thread.
 */
@State(Scope.Benchmark)
@Threads(1)
public class LbaMapBenchmark extends EngineBenchmark {
    static final int WRITTEN = 1 << 20;

    @Param({"dense", "middle", "sparse"})
    public String pattern;

    private Path dir;
    private LbaMap map;
    private long[] lbas;
    private final LbaEntry entry = new LbaEntry();
    private final SplittableRandom random = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("scoria-bench-lbamap");
        long clusters = switch (pattern) {
            case "dense" -> WRITTEN;
            case "middle" -> 3L * WRITTEN;
            case "sparse" -> (16L << 40) / 4096;
            default -> throw new IllegalArgumentException("pattern must be dense, middle or sparse: " + pattern);
        };
        SplittableRandom r = new SplittableRandom(42);
        lbas = new long[WRITTEN];
        for (int i = 0; i < WRITTEN; i++) {
            lbas[i] = pattern.equals("dense") ? i : r.nextLong(clusters);
        }
        map = LbaMap.open(dir.resolve("map"), clusters, Math.min(clusters, 1L << 20));
        try (var batch = map.batch(WRITTEN)) {
            for (int i = 0; i < WRITTEN; i++) {
                batch.put(lbas[i], ClusterLocation.of(1 + i / 1024, 0, 0, i % 1024), r.nextLong(), r.nextLong(), r.nextInt());
            }
            batch.flush();
        }
    }

    @Benchmark
    public void put() {
        long lba = lbas[random.nextInt(WRITTEN)];
        map.put(lba, ClusterLocation.of(7, 0, 0, (int) lba & 0xFFFF), lba, ~lba, (int) lba);
    }

    @Benchmark
    public long get() {
        map.get(lbas[random.nextInt(WRITTEN)], entry);
        return entry.location;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        map.close();
        deleteTree(dir);
    }
}
