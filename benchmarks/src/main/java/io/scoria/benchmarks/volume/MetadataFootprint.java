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
 * for three patterns: dense (LBAs 0..N-1 in random order), middle (N random LBAs of a 100 GiB
 * volume: with N = 10 million about a third of its LBAs end up written, some twice) and sparse
 * (N random LBAs of a 16 TiB volume). Bytes per cluster are per distinct written LBA (the map's
 * LBAs with data, counted with {@code forEach}). The map is sized as a volume sizes it (for at most
 * 1 Mi clusters; chronicle adds tiers as it fills), unless {@code -Dscoria.bench.sizedForN=true}. Run:
 * {@code java <flags> -cp benchmarks.jar io.scoria.benchmarks.volume.MetadataFootprint [N [pattern...]]}.
 */
public final class MetadataFootprint {
    /** {@code -Dscoria.bench.sizedForN=true}: size chronicle for all N clusters up front (the figures before format 3 did). */
    private static final boolean SIZED_FOR_N = Boolean.getBoolean("scoria.bench.sizedForN");

    private MetadataFootprint() {
    }

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        Path dir = Files.createTempDirectory("scoria-metadata");
        try {
            java.util.List<String> patterns = args.length > 1 ? java.util.List.of(args).subList(1, args.length)
                    : java.util.List.of("dense", "middle-100GiB", "sparse-16TiB");
            for (String p : patterns) {
                switch (p) {
                    case "dense" -> measure(dir, p, n, n, false);
                    case "middle-100GiB" -> measure(dir, p, n, (100L << 30) / 4096, true);
                    case "sparse-16TiB" -> measure(dir, p, n, (16L << 40) / 4096, true);
                    default -> throw new IllegalArgumentException("pattern must be dense, middle-100GiB or sparse-16TiB: " + p);
                }
            }
        } finally {
            EngineBenchmark.deleteTree(dir);
        }
    }

    private static void measure(Path dir, String name, long n, long volumeClusters, boolean sparse) throws Exception {
        Path file = dir.resolve(name + ".map");
        SplittableRandom r = new SplittableRandom(42);
        long start = System.nanoTime();
        // sized as a volume opens its map (VolumeLog.openMap): for at most 1 Mi written clusters, then grown by chronicle
        long expected = SIZED_FOR_N ? n : Math.min(volumeClusters, 1L << 20);
        try (LbaMap map = LbaMap.open(file, volumeClusters, expected)) {
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
            long[] distinct = new long[1];
            map.forEach((lba, loc, hi, lo, crc) -> distinct[0]++);
            long onDisk = du(file);
            System.out.printf("%s: %d clusters written in %d ms, %d distinct LBAs with data, map entries %d (dense groups %d), chronicle "
                            + "offHeapMemoryUsed %d, map file %d bytes on disk (du), %.1f bytes per written cluster; file length %d%n",
                    name, n, ms, distinct[0], map.entries(), map.denseGroups(), map.bytesOnFlash(), onDisk, (double) onDisk / distinct[0],
                    Files.size(file));
        }
    }

    private static long du(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("du", "--block-size=1", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
