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

/**
 * 4 KiB random writes, one thread: through the {@link Volume} API (fingerprint, SCO append,
 * TLog, LBA map, cluster cache insert, background upload to an fs backend on a tmp dir) versus
 * the peer {@code FileChannel.write} of the same clusters at the same random offsets of a
 * plain file. Every cluster is unique (a counter in its first 8 bytes), so dedup never helps.
 */
@State(Scope.Benchmark)
@Threads(1)
public class VolumeWriteBenchmark extends EngineBenchmark {
    @Param({"4096"})
    public int clusterSize;

    @Param({"1073741824"})
    public long volumeBytes;

    /** true: uploads run during the measurement; false: puts are deferred until tear-down. */
    @Param({"true", "false"})
    public boolean uploads;

    /**
     * Local SCO cache budget. The default never evicts; {@code -p scoCacheBytes=1073741824 -p uploads=true}
     * is a router's steady state (uploaded SCOs evicted and their files recycled for new SCOs).
     * A small budget with deferred uploads would block: nothing can be evicted.
     */
    @Param({"17179869184"})
    public long scoCacheBytes;

    private DeferringStore deferring;

    private Path dir;
    private LocalVolumeService service;
    private Volume volume;
    private FileChannel peer;
    private final ByteBuffer cluster = ByteBuffer.allocateDirect(4096);
    private final SplittableRandom random = new SplittableRandom(42);
    private long counter;
    private long clusters;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("scoria-bench-write");
        deferring = new DeferringStore(new FsObjectStore(new FsStoreConfig(dir.resolve("backend"))));
        service = new LocalVolumeService(deferring, EngineConfig.defaults(dir.resolve("flash"))
                .withScoCacheBytes(scoCacheBytes).withClusterCacheBytes(256L << 20).withCacheMode(CacheMode.CACHE_ON_WRITE));
        service.create("bench", new VolumeSpec(volumeBytes, clusterSize, 4 << 20));
        volume = service.open("bench");
        deferring.deferPuts = !uploads;
        peer = FileChannel.open(dir.resolve("peer.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        peer.truncate(volumeBytes);
        clusters = volumeBytes / clusterSize;
        byte[] fill = new byte[clusterSize];
        new java.util.Random(7).nextBytes(fill);
        cluster.put(fill).flip();
    }

    private long nextOffset() {
        cluster.putLong(0, ++counter);
        return random.nextLong(clusters) * clusterSize;
    }

    @Benchmark
    public void volumeWrite() {
        volume.write(nextOffset(), cluster, false);
    }

    @Benchmark
    public int fileChannelWrite() throws IOException {
        long off = nextOffset();
        return peer.write(cluster.duplicate(), off);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        peer.close();
        deferring.deferPuts = false;
        service.close();
        deleteTree(dir);
    }
}
