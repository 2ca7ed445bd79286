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
 * Large aligned writes (fio-style 1 MiB), one thread, at random offsets: through the
 * {@link Volume} API versus the peer {@code FileChannel.write} of the same bytes at the same
 * offsets of a plain file. Every cluster is unique (a counter in its first 8 bytes).
 */
@State(Scope.Benchmark)
@Threads(1)
public class VolumeLargeWriteBenchmark extends EngineBenchmark {
    @Param({"1048576"})
    public int writeBytes;

    private static final long VOLUME_BYTES = 1L << 30;
    private static final int CLUSTER = 4096;

    private Path dir;
    private LocalVolumeService service;
    private Volume volume;
    private FileChannel peer;
    private ByteBuffer data;
    private final SplittableRandom random = new SplittableRandom(42);
    private long counter;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("scoria-bench-large");
        service = new LocalVolumeService(new FsObjectStore(new FsStoreConfig(dir.resolve("backend"))),
                EngineConfig.defaults(dir.resolve("flash")).withScoCacheBytes(16L << 30).withClusterCacheBytes(256L << 20)
                        .withCacheMode(CacheMode.CACHE_ON_WRITE));
        service.create("bench", new VolumeSpec(VOLUME_BYTES, CLUSTER, 4 << 20));
        volume = service.open("bench");
        peer = FileChannel.open(dir.resolve("peer.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        peer.truncate(VOLUME_BYTES);
        byte[] fill = new byte[writeBytes];
        new java.util.Random(7).nextBytes(fill);
        data = ByteBuffer.allocateDirect(writeBytes).put(fill).flip();
    }

    private long nextOffset() {
        for (int c = 0; c < writeBytes; c += CLUSTER) {
            data.putLong(c, ++counter);
        }
        return random.nextLong(VOLUME_BYTES / writeBytes) * writeBytes;
    }

    @Benchmark
    public void volumeWrite() {
        volume.write(nextOffset(), data, false);
    }

    @Benchmark
    public int fileChannelWrite() throws IOException {
        long off = nextOffset();
        ByteBuffer b = data.duplicate();
        int n = 0;
        while (b.hasRemaining()) {
            n += peer.write(b, off + n);
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
