package io.scoria.benchmarks.scrub;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.scrub.RelocationPacing;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolume;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.scrubber.ScrubConfig;
import io.scoria.scrubber.ScrubReport;
import io.scoria.scrubber.Scrubber;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Scrub throughput and the router's 4 KiB random write rate while a scrub result is applied,
 * each against a peer in the same run (issue 7):
 * <ul>
 * <li>scrub: MiB of SCO examined per second, versus reading the same SCO objects sequentially
 * from the same store (the least work any scrubber must do);</li>
 * <li>apply: 4 KiB random writes per second through the {@code Volume} API over the whole
 * apply of the result (manifest swap and paced relocations), versus the same writer over a
 * window of {@value #WINDOW_MS} ms just before the apply; also versus the mean of that window and
 * one just after the apply, which cancels a drift of the writer's rate over the run.</li>
 * </ul>
 * Each repetition builds a fresh 512 MiB volume on an fs backend: written once, then one of
 * every four clusters of its first half overwritten, older snapshot deleted, scrubbed with a
 * live threshold of 0.8 (so those SCOs, three quarters live, are rewritten and the result
 * relocates 49,152 clusters); the writer writes random 4 KiB blocks in the second half, so every
 * relocation still applies. Fixed seeds. Usage: {@code java -cp benchmarks/target/benchmarks.jar
 * io.scoria.benchmarks.scrub.ScrubBenchmark [dir] [reps] [duty cycle] [interleaved]} (default: the
 * applier's default {@link RelocationPacing}; {@code interleaved}: see {@link #interleaved}).
 */
public final class ScrubBenchmark {
    private static final int MIB = 1 << 20;
    private static final long SIZE = 512L * MIB;
    /** The first half is written then mostly overwritten (what the scrub relocates); the writer uses the second. */
    private static final long HALF = SIZE / 2;
    /** Length of the window before (and after) the apply that the writes during it are compared with. */
    private static final long WINDOW_MS = 2000;

    private ScrubBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        RelocationPacing pacing = args.length > 2
                ? RelocationPacing.defaults().withDutyCycle(Double.parseDouble(args[2])) : RelocationPacing.defaults();
        boolean interleaved = args.length > 3 && args[3].equals("interleaved");
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.out.println("pacing: " + pacing + (interleaved ? ", interleaved" : ""));
        System.out.println(interleaved
                ? "rep | writes/s writer alone | writes/s during apply chunks | ratio | apply ms (chunks) | relocated"
                : "rep | scrub MiB/s | sequential GET MiB/s | ratio | writes/s before apply | writes/s during apply"
                + " | ratio | writes/s after apply | ratio to mean(before, after) | apply ms | relocated");
        for (int rep = 1; rep <= reps; rep++) {
            Path dir = Files.createTempDirectory(base, "scrub-bench-");
            try {
                run(rep, dir, quiet, pacing, interleaved);
            } finally {
                delete(dir);
            }
        }
    }

    private static void run(int rep, Path dir, PrintStream quiet, RelocationPacing pacing, boolean interleaved)
            throws Exception {
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(dir.resolve("backend")));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(dir.resolve("node")));
             ScrubApplier applier = new ScrubApplier(svc, Duration.ofHours(1), null, pacing)) {
            String ns = svc.create("bench", VolumeSpec.ofSize(SIZE)).namespace();
            LocalVolume v = svc.open("bench");
            Random r = new Random(rep);
            byte[] chunk = new byte[MIB];
            for (long off = 0; off < SIZE; off += MIB) {
                r.nextBytes(chunk);
                v.write(off, ByteBuffer.wrap(chunk), false);
            }
            v.snapshot("a");
            byte[] one = new byte[4096];
            for (long lba = 0; lba < HALF / 4096; lba += 4) {
                r.nextBytes(one);
                v.write(lba * 4096, ByteBuffer.wrap(one), false);
            }
            v.snapshot("b");
            v.deleteSnapshot("a");
            if (!svc.awaitUploads(Duration.ofMinutes(5))) {
                throw new IllegalStateException("uploads did not finish");
            }

            List<ObjectInfo> scos = store.listAll(ns, "sco/");
            long t0 = System.nanoTime();
            long bytes = 0;
            for (ObjectInfo o : scos) {
                bytes += store.get(ns, o.key()).remaining();
            }
            double readMiBs = bytes / (double) MIB / ((System.nanoTime() - t0) / 1e9);
            ScrubReport report = new Scrubber(store, ScrubConfig.of(ns, dir.resolve("scratch")).withThreshold(0.8), quiet).run();

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            Thread writer = new Thread(() -> {
                Random wr = new Random(99);
                ByteBuffer b = ByteBuffer.allocate(4096);
                while (!stop.get()) {
                    wr.nextBytes(b.array());
                    v.write(HALF + 4096L * wr.nextInt((int) (HALF / 4096)), b.clear(), false);
                    writes.incrementAndGet();
                }
            });
            writer.start();
            Thread.sleep(1000);
            if (interleaved) {
                ScrubResult result = ScrubResult.decode(store.get(ns, report.resultKey()), report.resultKey());
                interleaved(rep, v, result, pacing, writes);
                stop.set(true);
                writer.join();
                return;
            }
            long w0 = writes.get();
            long tb = System.nanoTime();
            Thread.sleep(WINDOW_MS);
            double before = (writes.get() - w0) / ((System.nanoTime() - tb) / 1e9);
            long w1 = writes.get();
            long ta = System.nanoTime();
            List<ScrubApplier.Outcome> outcome = applier.applyPending("bench");
            long applyNanos = System.nanoTime() - ta;
            long w2 = writes.get();
            double during = (w2 - w1) / (applyNanos / 1e9);
            long tc = System.nanoTime();
            Thread.sleep(WINDOW_MS);
            double after = (writes.get() - w2) / ((System.nanoTime() - tc) / 1e9);
            stop.set(true);
            writer.join();
            if (outcome.size() != 1 || !outcome.get(0).status().equals("applied")) {
                throw new IllegalStateException("apply failed: " + outcome);
            }
            System.out.printf("%d | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %d%n", rep,
                    report.examinedMiBPerSecond(), readMiBs, report.examinedMiBPerSecond() / readMiBs, before, during,
                    during / before, after, during / ((before + after) / 2), applyNanos / 1e6, outcome.get(0).relocated());
        }
    }

    /** Relocations per apply chunk of the interleaved mode (twelve chunks for this result). */
    private static final int CHUNK = 4096;
    /** Length of each writer-alone window of the interleaved mode. */
    private static final long ALONE_MS = 500;

    /**
     * The interleaved mode: the manifest swap, then the result's relocations in chunks of
     * {@value #CHUNK}, each paced as {@code ScrubApplier} paces them, alternating with windows of
     * {@value #ALONE_MS} ms in which the writer runs alone (one before the first chunk and one
     * after each). Writes per second over all chunks versus over all writer-alone windows: a
     * change of the machine's load during the run affects both sides alike.
     */
    private static void interleaved(int rep, LocalVolume v, ScrubResult result, RelocationPacing pacing,
                                    AtomicLong writes) throws Exception {
        long aloneWrites = 0;
        long aloneNanos = 0;
        long applyWrites = 0;
        long applyNanos = 0;
        int moved = 0;
        int count = result.relocationCount();
        for (int chunk = 0; chunk <= (count + CHUNK - 1) / CHUNK; chunk++) {
            long w = writes.get();
            long t = System.nanoTime();
            Thread.sleep(ALONE_MS);
            aloneWrites += writes.get() - w;
            aloneNanos += System.nanoTime() - t;
            int from = chunk * CHUNK;
            if (from >= count) {
                break;
            }
            w = writes.get();
            t = System.nanoTime();
            if (chunk == 0) {
                v.applyScrubManifest(result);
            }
            for (int b = from; b < Math.min(count, from + CHUNK); b += pacing.batch()) {
                long start = System.nanoTime();
                moved += v.relocate(result, b, Math.min(count, Math.min(from + CHUNK, b + pacing.batch())));
                long pause = pacing.pauseNanos(System.nanoTime() - start);
                if (pause > 0) {
                    LockSupport.parkNanos(pause);
                }
            }
            applyWrites += writes.get() - w;
            applyNanos += System.nanoTime() - t;
        }
        double alone = aloneWrites / (aloneNanos / 1e9);
        double during = applyWrites / (applyNanos / 1e9);
        System.out.printf("%d | %.0f | %.0f | %.2f | %.0f | %d%n", rep, alone, during, during / alone, applyNanos / 1e6, moved);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

}
