package io.scoria.benchmarks.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * 4 KiB random writes measured in CPU time instead of wall time, for a machine shared with other
 * work (where JMH's wall-clock throughput mostly measures the neighbours): the same workload as
 * {@link VolumeWriteBenchmark} with uploads deferred, reporting writes per CPU-second of the
 * writing thread (user + system, so syscalls count) and per CPU-second of the whole process
 * (background threads such as the SCO preparer count too), next to the {@code FileChannel.write}
 * peer measured the same way in the same run. Rounds alternate engine and peer.
 *
 * <p>Usage: {@code VolumeWriteCpu DIR [writes per round] [rounds]}. With
 * {@code -Dscoria.bench.peer=false} only the engine runs (for a profiler attached to the process);
 * with {@code -Dscoria.bench.uploads=true} sealed SCOs and TLogs are uploaded to the fs backend
 * during the rounds (their CPU then counts in the process figure) instead of at the end, and
 * {@code -Dscoria.bench.scoCacheBytes=N} (default 64 GiB) makes a small SCO cache evict uploaded
 * SCOs as a router's does in its steady state.
 */
public final class VolumeWriteCpu {
    private static final int CLUSTER = 4096;
    private static final long VOLUME_BYTES = 1L << 30;

    private VolumeWriteCpu() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        int writes = args.length > 1 ? Integer.parseInt(args[1]) : 400_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int sides = Boolean.parseBoolean(System.getProperty("scoria.bench.peer", "true")) ? 2 : 1;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Path dir = Files.createTempDirectory(base, "scoria-write-cpu");
        DeferringStore store = new DeferringStore(new FsObjectStore(new FsStoreConfig(dir.resolve("backend"))));
        ByteBuffer cluster = ByteBuffer.allocateDirect(CLUSTER);
        byte[] fill = new byte[CLUSTER];
        new java.util.Random(7).nextBytes(fill);
        cluster.put(fill).flip();
        long clusters = VOLUME_BYTES / CLUSTER;
        SplittableRandom random = new SplittableRandom(42);
        long counter = 0;
        try (LocalVolumeService service = new LocalVolumeService(store, EngineConfig.defaults(dir.resolve("flash"))
                .withScoCacheBytes(Long.getLong("scoria.bench.scoCacheBytes", 64L << 30)).withClusterCacheBytes(256L << 20)
                .withCacheMode(CacheMode.CACHE_ON_WRITE));
             FileChannel peer = FileChannel.open(dir.resolve("peer.img"), StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            service.create("bench", new VolumeSpec(VOLUME_BYTES, CLUSTER, 4 << 20));
            peer.truncate(VOLUME_BYTES);
            Volume volume = service.open("bench");
            store.deferPuts = !Boolean.getBoolean("scoria.bench.uploads");
            System.out.printf("%-6s %5s %12s %14s %14s%n", "what", "round", "writes/s", "per thread-CPU-s",
                    "per process-CPU-s");
            for (int round = 0; round <= rounds; round++) {
                for (int which = 0; which < sides; which++) {
                    long wall = System.nanoTime();
                    long cpu = threads.getCurrentThreadCpuTime();
                    long proc = os.getProcessCpuTime();
                    for (int i = 0; i < writes; i++) {
                        cluster.putLong(0, ++counter);
                        long off = random.nextLong(clusters) * CLUSTER;
                        if (which == 0) {
                            volume.write(off, cluster, false);
                        } else {
                            peer.write(cluster.duplicate(), off);
                        }
                    }
                    double w = (System.nanoTime() - wall) / 1e9;
                    double c = (threads.getCurrentThreadCpuTime() - cpu) / 1e9;
                    double p = (os.getProcessCpuTime() - proc) / 1e9;
                    if (round > 0) { // round 0 warms up
                        System.out.printf("%-6s %5d %12.0f %14.0f %14.0f%n", which == 0 ? "engine" : "peer", round,
                                writes / w, writes / c, writes / p);
                    }
                }
            }
            if (!store.deferPuts) {
                // how far the uploads lag: work a wall-clock figure does not include when it is large
                System.out.printf("  backend holds %d MiB of the %d MiB of clusters written when the writes ended%n",
                        treeBytes(dir.resolve("backend")) >> 20, (long) writes * (rounds + 1) * CLUSTER >> 20);
            }
            if (Boolean.getBoolean("scoria.bench.threads")) {
                for (long id : threads.getAllThreadIds()) {
                    var info = threads.getThreadInfo(id);
                    long t = threads.getThreadCpuTime(id);
                    if (info != null && t > 50_000_000L) {
                        System.out.printf("  thread %-40s %8.2f s CPU%n", info.getThreadName(), t / 1e9);
                    }
                }
            }
            volume.close();
            store.deferPuts = false;
        } finally {
            try {
                EngineBenchmark.deleteTree(dir);
            } catch (IOException e) {
                System.err.println("cannot clean " + dir + ": " + e);
            }
        }
    }

    private static long treeBytes(Path root) throws IOException {
        try (var walk = Files.walk(root)) { // uploads keep running: files may go while it walks
            long sum = 0;
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                try {
                    sum += Files.size(p);
                } catch (java.nio.file.NoSuchFileException gone) {
                    // an old manifest generation deleted by an upload running meanwhile
                }
            }
            return sum;
        }
    }
}