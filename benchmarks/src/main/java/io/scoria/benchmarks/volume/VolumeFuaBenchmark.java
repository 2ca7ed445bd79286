package io.scoria.benchmarks.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * 4 KiB random writes from four threads, every {@code fuaEvery}-th write with FUA (fsync before
 * the reply), through the {@link Volume} API versus the peer {@code FileChannel.write} plus
 * {@code force(false)} on the same schedule. Shows whether writers wait for other writers'
 * fsyncs (an engine that fsyncs under its append lock serialises everyone behind each FUA).
 */
@State(Scope.Benchmark)
@Threads(4)
public class VolumeFuaBenchmark extends EngineBenchmark {
    @Param({"32"})
    public int fuaEvery;

    private static final long VOLUME_BYTES = 1L << 30;
    private static final int CLUSTER = 4096;

    private Path dir;
    private LocalVolumeService service;
    private Volume volume;
    private FileChannel peer;
    private final AtomicLong seeds = new AtomicLong(42);

    /** Per-thread cluster buffer, offsets and counter (fixed seeds). */
    @State(Scope.Thread)
    public static class Writer {
        final ByteBuffer cluster = ByteBuffer.allocateDirect(CLUSTER);
        SplittableRandom random;
        long counter;

        @Setup(Level.Trial)
        public void setUp(VolumeFuaBenchmark b) {
            long seed = b.seeds.getAndIncrement();
            random = new SplittableRandom(seed);
            byte[] fill = new byte[CLUSTER];
            new java.util.Random(seed).nextBytes(fill);
            cluster.put(fill).flip();
            counter = seed << 40;
        }

        long next() {
            cluster.putLong(0, ++counter);
            return random.nextLong(VOLUME_BYTES / CLUSTER) * CLUSTER;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("scoria-bench-fua");
        service = new LocalVolumeService(new FsObjectStore(new FsStoreConfig(dir.resolve("backend"))),
                EngineConfig.defaults(dir.resolve("flash")).withScoCacheBytes(16L << 30).withClusterCacheBytes(256L << 20)
                        .withCacheMode(CacheMode.CACHE_ON_WRITE));
        service.create("bench", new VolumeSpec(VOLUME_BYTES, CLUSTER, 4 << 20));
        volume = service.open("bench");
        peer = FileChannel.open(dir.resolve("peer.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        peer.truncate(VOLUME_BYTES);
    }

    @Benchmark
    public void volumeWrite(Writer w) {
        long off = w.next();
        volume.write(off, w.cluster, w.counter % fuaEvery == 0);
    }

    @Benchmark
    public int fileChannelWrite(Writer w) throws IOException {
        long off = w.next();
        int n = peer.write(w.cluster.duplicate(), off);
        if (w.counter % fuaEvery == 0) {
            peer.force(false);
        }
        return n;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        peer.close();
        service.close();
        deleteTree(dir);
    }
}
