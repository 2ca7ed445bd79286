package io.scoria.benchmarks.transform;

import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.cache.ScoFileCipher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The cost of encrypting an encrypted volume's local SCO files (sco-store/FORMATS.md, "Local SCO
 * files of encrypted volumes") on one thread, {@code clear} beside {@code encrypted} in the same
 * run: {@code append} is {@link OpenSco#append} of one 4 KiB cluster into a 4 MiB SCO file in the
 * temporary directory (page cache; a new file every 1,024 clusters), {@code readCluster} one
 * positional read of a random cluster of a sealed SCO file (the file stays open; the engine opens
 * it per read, which costs the same in both modes). Fixed seeds.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class LocalFlashBenchmark {
    static final int CLUSTER = 4096;
    static final int SCO_CLUSTERS = 1024;
    static final long SCO_ID = ClusterLocation.of(1, 0, 0, 0);

    @Param({"clear", "encrypted"})
    public String mode;

    private Path dir;
    private ScoFileCipher cipher;
    private ByteBuffer cluster;
    private ByteBuffer dst;
    private OpenSco writing;
    private long fileNumber;
    private Path sealed;
    private FileChannel sealedChannel;
    private final Random random = new Random(11);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("scoria-bench-flash");
        if (mode.equals("encrypted")) {
            try (TransformingObjectStore store = new TransformingObjectStore(
                    new FsObjectStore(new FsStoreConfig(dir.resolve("backend"))),
                    new KeyRing(new FsObjectStore(new FsStoreConfig(dir.resolve("ring"))), KeyRing.DEFAULT_NAMESPACE,
                            KeyEncryptionKey.random(), List.of()), null, TransformPolicy.NONE)) {
                store.createNamespace("bench", TransformPolicy.parse("none+aes-256-gcm"));
                cipher = new ScoFileCipher(store.flashKey("bench").orElseThrow());
            }
        }
        byte[] content = TransformBenchmark.content("mixed", SCO_CLUSTERS * CLUSTER, 42);
        cluster = ByteBuffer.allocateDirect(CLUSTER).put(content, CLUSTER, CLUSTER).flip();
        dst = ByteBuffer.allocateDirect(CLUSTER);
        sealed = dir.resolve("sealed.sco");
        try (OpenSco sco = OpenSco.create(sealed, SCO_ID, CLUSTER, SCO_CLUSTERS, cipher)) {
            sco.append(ByteBuffer.allocateDirect(content.length).put(content).flip(), SCO_CLUSTERS);
            sco.seal();
        }
        sealedChannel = FileChannel.open(sealed, StandardOpenOption.READ);
        writing = nextSco();
    }

    private OpenSco nextSco() {
        return OpenSco.create(dir.resolve("w" + (++fileNumber) + ".sco"), SCO_ID, CLUSTER, SCO_CLUSTERS, cipher);
    }

    @Benchmark
    public int append() throws IOException {
        if (writing.isFull()) {
            writing.close();
            Files.delete(writing.path());
            writing = nextSco();
        }
        return writing.append(cluster);
    }

    @Benchmark
    public ByteBuffer readCluster() throws IOException {
        long pos = (long) random.nextInt(SCO_CLUSTERS) * CLUSTER;
        dst.clear();
        if (cipher != null) {
            if (!cipher.readData(sealedChannel, sealed, SCO_ID, pos, dst)) {
                throw new IllegalStateException("cluster at " + pos + " not read");
            }
        } else {
            while (dst.hasRemaining()) {
                sealedChannel.read(dst, pos + dst.position());
            }
        }
        return dst;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        writing.close();
        sealedChannel.close();
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
