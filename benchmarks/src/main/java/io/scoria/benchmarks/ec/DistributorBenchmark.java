package io.scoria.benchmarks.ec;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import io.scoria.distributor.DistributorConfig;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.Policy;
import io.scoria.distributor.store.Distributor;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The distributor's cost over a plain store, on the same kind of store in the same run: a
 * plain {@link FsObjectStore} versus a 4+2 {@link Distributor} over six of them, all on tmpfs
 * ({@code /dev/shm}, or {@code -Dscoria.bench.dir}), so the figures are CPU and code-path
 * costs, not disk. Operations: a 4 KiB cluster read at a random aligned offset of an SCO of
 * {@code scoMiB} (4 MiB, or the 256 MiB the distributor's volumes use on object stores; one ranged GET
 * of one fragment for the distributor), and the put of a whole SCO (encode, six fragment files, three
 * manifest replicas for the distributor), from a heap buffer ({@code put4m}: 4 MiB with the default
 * size) and from a sealed SCO file as the accelerator's upload does it ({@code putFile4m}). Fixed seed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Threads(1)
public class DistributorBenchmark {
    private static final String NS = "bench";
    /** Object size: 4 MiB (the fs backend's SCOs) or 256 MiB (the distributor's default SCO on object stores). */
    @Param({"4", "256"})
    public int scoMiB;
    private int scoBytes;
    private int objects;

    @Param({"plain", "distributor"})
    public String target;

    private Path dir;
    private ObjectStore store;
    private byte[] sco;
    private Path scoFile;
    private ByteBuffer cluster;
    private Random random;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path base = Path.of(System.getProperty("scoria.bench.dir", "/dev/shm"));
        dir = Files.createTempDirectory(base, "scoria-ec-bench-");
        if (target.equals("plain")) {
            store = new FsObjectStore(new FsStoreConfig(dir.resolve("plain")));
        } else {
            List<FragmentStore> stores = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                stores.add(new FragmentStore("fs" + i, "node" + i, new FsObjectStore(new FsStoreConfig(dir.resolve("s" + i)))));
            }
            store = new Distributor(DistributorConfig.of(stores, Policy.of(4, 6)));
        }
        store.createNamespace(NS);
        scoBytes = scoMiB << 20;
        objects = scoMiB >= 64 ? 2 : 8;
        random = new Random(42);
        sco = new byte[scoBytes];
        random.nextBytes(sco);
        scoFile = dir.resolve("sealed.sco");
        Files.write(scoFile, sco);
        for (int i = 0; i < objects; i++) {
            store.put(NS, "sco/" + i, ByteBuffer.wrap(sco));
        }
        cluster = ByteBuffer.allocate(4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public ByteBuffer read4k() {
        cluster.clear();
        store.read(NS, "sco/" + random.nextInt(objects), 4096L * random.nextInt(scoBytes / 4096), cluster);
        return cluster;
    }

    @Benchmark
    public void put4m() {
        store.put(NS, "sco/" + (next++ % objects), ByteBuffer.wrap(sco));
    }

    @Benchmark
    public void putFile4m() {
        store.put(NS, "sco/" + (next++ % objects), scoFile);
    }
}
