package io.scoria.benchmarks.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
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

/**
 * 4 KiB random reads, one thread, of a volume whose clusters are all in the cluster cache
 * (LBA map → cache by fingerprint → copy), versus the peer {@code FileChannel.read} of the
 * same offsets of a plain file that sits in the page cache.
 */
@State(Scope.Benchmark)
@Threads(1)
public class ClusterCacheReadBenchmark extends EngineBenchmark {
    @Param({"16384"})
    public int clusters;

    private Path dir;
    private LocalVolumeService service;
    private Volume volume;
    private FileChannel peer;
    private final ByteBuffer dst = ByteBuffer.allocateDirect(4096);
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("scoria-bench-read");
        FsObjectStore store = new FsObjectStore(new FsStoreConfig(dir.resolve("backend")));
        service = new LocalVolumeService(store, EngineConfig.defaults(dir.resolve("flash"))
                .withScoCacheBytes(1L << 30).withClusterCacheBytes(2L * clusters * 4096));
        service.create("bench", VolumeSpec.ofSize((long) clusters * 4096));
        volume = service.open("bench");
        peer = FileChannel.open(dir.resolve("peer.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        java.util.Random r = new java.util.Random(1);
        byte[] data = new byte[1 << 20];
        for (long off = 0; off < (long) clusters * 4096; off += data.length) {
            r.nextBytes(data);
            volume.write(off, ByteBuffer.wrap(data), false);
            peer.write(ByteBuffer.wrap(data), off);
        }
        if (service.clusterCache().stats().occupied() != clusters) {
            throw new IllegalStateException("cache does not hold every cluster: " + service.clusterCache().stats());
        }
    }

    private long volumeReads;

    @Benchmark
    public int volumeReadCached() {
        volumeReads++;
        dst.clear();
        volume.read(random.nextLong(clusters) * 4096, dst);
        return dst.get(0);
    }

    @Benchmark
    public int fileChannelRead() throws IOException {
        dst.clear();
        return peer.read(dst, random.nextLong(clusters) * 4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        long hits = service.clusterCache().stats().hits();
        peer.close();
        service.close();
        deleteTree(dir);
        if (volumeReads > 0 && hits < volumeReads) {
            throw new IllegalStateException("only " + hits + " cluster cache hits for " + volumeReads + " reads: the benchmark did not measure the cache");
        }
    }
}
