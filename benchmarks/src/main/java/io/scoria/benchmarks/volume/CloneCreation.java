package io.scoria.benchmarks.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How long thin clones take to create: a template of SIZE GiB with WRITTEN MiB of data spread over
 * it (4 MiB pieces at random offsets) on an fs backend, then COUNT clones made one after the other
 * through {@link LocalVolumeService#clone} (as {@code scoria clone create --count} does), each
 * timed; reports the total, p50/p99/max per clone, whether the time grows with the count, and the
 * local flash the clones take. Run:
 * {@code java -cp benchmarks/target/benchmarks.jar io.scoria.benchmarks.volume.CloneCreation [COUNT [SIZE_GIB [WRITTEN_MIB]]]}.
 */
public final class CloneCreation {
    private CloneCreation() {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        long size = (args.length > 1 ? Long.parseLong(args[1]) : 20) << 30;
        int written = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        Path dir = Files.createTempDirectory("scoria-clones");
        try (LocalVolumeService svc = new LocalVolumeService(new FsObjectStore(new FsStoreConfig(dir.resolve("backend"))),
                EngineConfig.defaults(dir.resolve("flash")))) {
            svc.create("gold", VolumeSpec.ofSize(size));
            Volume g = svc.open("gold");
            SplittableRandom r = new SplittableRandom(7);
            byte[] piece = new byte[4 << 20];
            for (int i = 0; i < written / 4; i++) {
                r.nextBytes(piece);
                g.write(r.nextLong(size / piece.length) * piece.length, ByteBuffer.wrap(piece), false);
            }
            svc.makeTemplate("gold");
            svc.awaitUploads(Duration.ofMinutes(10));
            long flashBefore = du(dir.resolve("flash"));
            long[] ns = new long[count];
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                svc.clone("gold", null, "desk-" + i);
                ns[i] = System.nanoTime() - s;
            }
            double total = (System.nanoTime() - t0) / 1e9;
            long flashAfter = du(dir.resolve("flash"));
            long[] sorted = ns.clone();
            Arrays.sort(sorted);
            double firstTenth = Arrays.stream(ns, 0, Math.max(1, count / 10)).average().orElse(0) / 1e6;
            double lastTenth = Arrays.stream(ns, count - Math.max(1, count / 10), count).average().orElse(0) / 1e6;
            System.out.printf("%d clones of a %d GiB template with %d MiB written: %.1f s in all (%.1f clones/s); per clone p50 %.1f ms,"
                            + " p99 %.1f ms, max %.1f ms; first tenth %.1f ms, last tenth %.1f ms on average; local flash +%.1f MiB"
                            + " (%.1f KiB per clone)%n", count, size >> 30, written, total, count / total,
                    sorted[count / 2] / 1e6, sorted[Math.min(count - 1, (int) (count * 0.99))] / 1e6, sorted[count - 1] / 1e6,
                    firstTenth, lastTenth, (flashAfter - flashBefore) / 1048576.0, (flashAfter - flashBefore) / 1024.0 / count);
        } finally {
            EngineBenchmark.deleteTree(dir);
        }
    }

    private static long du(Path dir) throws Exception {
        Process p = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
