package io.scoria.benchmarks.volume;

import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Measures the on-flash size of the LBA map per written cluster: writes N clusters (default 10
 * million) into a fresh map and reports the bytes the map file occupies on disk ({@code du}),
 * for two patterns: dense (LBAs 0..N-1 in random order) and sparse (N random LBAs of a 16 TiB
 * volume). Run: {@code java <flags> -cp benchmarks.jar io.scoria.benchmarks.volume.MetadataFootprint [N]}.
 */
public final class MetadataFootprint {
    private MetadataFootprint() {
    }

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        Path dir = Files.createTempDirectory("scoria-metadata");
        try {
            measure(dir, "dense", n, n, false);
            measure(dir, "sparse-16TiB", n, (16L << 40) / 4096, true);
        } finally {
            EngineBenchmark.deleteTree(dir);
        }
    }

    private static void measure(Path dir, String name, long n, long volumeClusters, boolean sparse) throws Exception {
        Path file = dir.resolve(name + ".map");
        SplittableRandom r = new SplittableRandom(42);
        long start = System.nanoTime();
        try (LbaMap map = LbaMap.open(file, volumeClusters, n)) {
            long[] perm = null;
            if (!sparse) {
                perm = new long[(int) n];
                for (int i = 0; i < n; i++) {
                    perm[i] = i;
                }
                for (int i = (int) n - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    long t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                }
            }
            for (long i = 0; i < n; i++) {
                long lba = sparse ? r.nextLong(volumeClusters) : perm[(int) i];
                map.put(lba, ClusterLocation.of(1 + i / 1024, 0, 0, (int) (i % 1024)), r.nextLong(), r.nextLong(), r.nextInt());
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            long onDisk = du(file);
            System.out.printf("%s: %d clusters written in %d ms, map entries %d, chronicle offHeapMemoryUsed %d, map file %d bytes "
                            + "on disk (du), %.1f bytes per cluster; file length %d%n",
                    name, n, ms, map.groups(), map.bytesOnFlash(), onDisk, (double) onDisk / n, Files.size(file));
        }
    }

    private static long du(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("du", "--block-size=1", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
