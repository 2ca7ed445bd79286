package io.scoria.it.scrub;

import io.scoria.accelerator.CacheMode;
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
import io.scoria.sco.scrub.ScrubResultAppliedException;
import io.scoria.scrubber.ScrubConfig;
import io.scoria.scrubber.ScrubReport;
import io.scoria.scrubber.Scrubber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scrub and apply end to end on the real volume engine: the scenario (overwrite the
 * same 10% of a 256 MiB volume ten times, keep the last snapshot, scrub, apply), with writes
 * going on during the scrub and the apply, then a restart from local flash and a rebuild from
 * the backend alone; plus stale and repeated results.
 */
class ScrubApplyIT {
    private static final int MIB = 1 << 20;
    private static final long SIZE = 256L * MIB;
    private static final int HOT = (int) (SIZE / 10);
    /** First cluster-aligned offset after the hot region, where the concurrent writer writes. */
    private static final long COLD = (HOT + 4095L) / 4096 * 4096;

    @TempDir
    Path tmp;

    private final PrintStream out = System.out;

    private static long scoBytes(ObjectStore store, String ns) {
        return store.listAll(ns, "sco/").stream().mapToLong(ObjectInfo::size).sum();
    }

    private static void write(LocalVolume v, byte[] model, long offset, byte[] data) {
        v.write(offset, ByteBuffer.wrap(data), false);
        System.arraycopy(data, 0, model, (int) offset, data.length);
    }

    private static void assertReadsBack(LocalVolume v, byte[] model, String when) {
        ByteBuffer buf = ByteBuffer.allocate(4 * MIB);
        for (long off = 0; off < SIZE; off += buf.capacity()) {
            buf.clear();
            v.read(off, buf);
            byte[] expected = new byte[buf.capacity()];
            System.arraycopy(model, (int) off, expected, 0, expected.length);
            assertArrayEquals(expected, buf.array(), when + ": bytes differ in [" + off + ", " + (off + buf.capacity()) + ")");
        }
    }

    @Test
    void overwriteTenTimesScrubApplyRestartAndRebuild() throws Exception {
        Path backendDir = tmp.resolve("backend");
        byte[] model = new byte[(int) SIZE];
        Random r = new Random(11);
        String ns;
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backendDir));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node-a")));
             ScrubApplier applier = new ScrubApplier(svc, Duration.ZERO, null)) {
            ns = svc.create("vm1", VolumeSpec.ofSize(SIZE)).namespace();
            LocalVolume v = svc.open("vm1");
            byte[] chunk = new byte[MIB];
            for (int round = 1; round <= 10; round++) {
                for (long off = 0; off < HOT; off += MIB) {
                    r.nextBytes(chunk);
                    write(v, model, off, java.util.Arrays.copyOf(chunk, (int) Math.min(MIB, HOT - off)));
                }
                v.snapshot("s" + round);
            }
            for (int round = 1; round <= 9; round++) {
                v.deleteSnapshot("s" + round);
            }
            assertTrue(svc.awaitUploads(Duration.ofMinutes(2)), "uploads finished");
            long before = scoBytes(store, ns);

            AtomicBoolean stop = new AtomicBoolean();
            long[] writes = {0};
            Random wr = new Random(12);
            Thread writer = new Thread(() -> {
                byte[] b = new byte[4096];
                while (!stop.get()) {
                    wr.nextBytes(b);
                    long off = COLD + 4096L * wr.nextInt((int) ((SIZE - COLD) / 4096));
                    synchronized (model) {
                        write(v, model, off, b);
                        writes[0]++;
                    }
                }
            });
            writer.start();
            ScrubReport report = new Scrubber(store, ScrubConfig.of(ns, tmp.resolve("scratch")), out).run();
            assertTrue(report.scosRewritten() > 0 || report.reclaimedBytes() > 0, "something to reclaim: " + report);
            byte[] newer = new byte[8192];
            r.nextBytes(newer);
            synchronized (model) {
                write(v, model, 40960, newer);
            }
            List<ScrubApplier.Outcome> outcomes = applier.applyPending("vm1");
            stop.set(true);
            writer.join();
            assertEquals(1, outcomes.size());
            assertEquals("applied", outcomes.get(0).status(), outcomes.toString());
            v.flush();
            assertTrue(svc.awaitUploads(Duration.ofMinutes(2)));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!store.listAll(ns, ScrubResult.PREFIX).isEmpty() && System.nanoTime() < deadline) {
                applier.drain(Duration.ofSeconds(10));
                Thread.sleep(100);
            }
            assertTrue(store.listAll(ns, ScrubResult.PREFIX).isEmpty(), "result cleaned up after the grace period");

            long live = HOT;
            long after = scoBytes(store, ns);
            out.printf("scrub apply: backend SCO bytes %d -> %d; live data of the kept snapshot %d, plus %d bytes written"
                            + " concurrently during scrub and apply; %.1f MiB/s examined%n",
                    before, after, live, 4096L * writes[0], report.examinedMiBPerSecond());
            assertTrue(before > 5 * live, "premise: ten overwrites are on the backend: " + before);
            assertReadsBack(v, model, "after apply");
            // the concurrent writer's clusters are in the current TLogs, which a scrub never touches
            assertTrue(after <= live * 1.15 + 4096L * writes[0], "backend SCO bytes " + after
                    + " must be within 15% of the live data " + live + " plus the concurrent writer's " + writes[0] + " clusters");
        }
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backendDir));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node-a")))) {
            assertReadsBack(svc.open("vm1"), model, "after restart from local flash");
        }
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backendDir));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node-b")))) {
            assertReadsBack(svc.open("vm1"), model, "after rebuild from the backend on a new node");
        }
    }

    @Test
    void staleAndRepeatedResultsAreRefused() throws Exception {
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(tmp.resolve("backend")));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node")));
             ScrubApplier applier = new ScrubApplier(svc, Duration.ZERO, null)) {
            String ns = svc.create("vm2", VolumeSpec.ofSize(64L * MIB)).namespace();
            LocalVolume v = svc.open("vm2");
            Random r = new Random(3);
            byte[] chunk = new byte[MIB];
            for (String snap : new String[] {"a", "b"}) {
                for (int i = 0; i < 8; i++) {
                    r.nextBytes(chunk);
                    v.write((long) i * MIB, ByteBuffer.wrap(chunk), false);
                }
                v.snapshot(snap);
            }
            v.deleteSnapshot("a");
            assertTrue(svc.awaitUploads(Duration.ofMinutes(1)));
            Set<String> before = keys(store, ns);
            ScrubReport report = new Scrubber(store, ScrubConfig.of(ns, tmp.resolve("scratch")), out).run();
            ScrubResult result = ScrubResult.decode(store.get(ns, report.resultKey()), report.resultKey());

            v.deleteSnapshot("b");
            assertTrue(svc.awaitUploads(Duration.ofMinutes(1)));
            List<ScrubApplier.Outcome> outcomes = applier.applyPending("vm2");
            assertEquals("stale", outcomes.get(0).status(), outcomes.toString());
            assertTrue(outcomes.get(0).message().contains("'b'"), outcomes.get(0).message());
            assertEquals(before, keys(store, ns), "a refused result leaves no objects behind");

            v.snapshot("c");
            assertTrue(svc.awaitUploads(Duration.ofMinutes(1)));
            ScrubReport second = new Scrubber(store, ScrubConfig.of(ns, tmp.resolve("scratch")), out).run();
            if (second.resultKey() != null) {
                ScrubResult again = ScrubResult.decode(store.get(ns, second.resultKey()), second.resultKey());
                v.applyScrubManifest(again);
                assertThrows(ScrubResultAppliedException.class, () -> v.applyScrubManifest(again));
            }
            assertThrows(RuntimeException.class, () -> v.applyScrubManifest(result), "the first, stale result stays refused");
        }
    }

    @Test
    void scosAClonesReadsStayAliveWhenItsParentIsScrubbed() throws Exception {
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(tmp.resolve("backend")));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node")));
             ScrubApplier applier = new ScrubApplier(svc, Duration.ZERO, null);
             LocalVolumeService cloneNode = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("clone-node"))
                     .withCacheMode(CacheMode.NO_CACHE))) {
            String ns = svc.create("gold", VolumeSpec.ofSize(64L * MIB)).namespace();
            LocalVolume gold = svc.open("gold");
            byte[] base = v1Content(gold);
            gold.snapshot("v1");
            svc.clone("gold", "v1", "desk1");
            assertTrue(svc.awaitUploads(Duration.ofMinutes(1)));
            // the clone runs on another node without a cluster cache: every read goes to the parent's SCOs
            ByteBuffer back = ByteBuffer.allocate(16 * MIB);
            LocalVolume desk = cloneNode.open("desk1");
            desk.read(0, back);
            assertArrayEquals(base, back.array(), "the clone reads the parent's v1 data");

            Random r = new Random(6);
            byte[] chunk = new byte[MIB];
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 16; i++) {
                    r.nextBytes(chunk);
                    gold.write((long) i * MIB, ByteBuffer.wrap(chunk), false);
                }
                gold.snapshot("v" + (round + 2));
            }
            for (int round = 2; round <= 4; round++) {
                gold.deleteSnapshot("v" + round);
            }
            assertTrue(svc.awaitUploads(Duration.ofMinutes(1)));
            ScrubReport report = new Scrubber(store, ScrubConfig.of(ns, tmp.resolve("scratch")), out).run();
            assertTrue(report.reclaimedBytes() > 0, "the parent's later snapshots are scrubbed: " + report);
            applier.applyPending("gold");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!store.listAll(ns, ScrubResult.PREFIX).isEmpty() && System.nanoTime() < deadline) {
                applier.drain(Duration.ofSeconds(10));
                Thread.sleep(100);
            }
            assertTrue(store.listAll(ns, ScrubResult.PREFIX).isEmpty(), "obsolete objects deleted");
            back.clear();
            desk.read(0, back);
            assertArrayEquals(base, back.array(), "the running clone still reads the parent's v1 data after the parent"
                    + " was scrubbed and its obsolete SCOs deleted");
        }
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(tmp.resolve("backend")));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("cold-node")))) {
            ByteBuffer back = ByteBuffer.allocate(16 * MIB);
            svc.open("desk1").read(0, back);
            assertArrayEquals(v1Content(null), back.array(), "cold read of the clone after the parent was scrubbed");
        }
    }

    /**
     * A 64 MiB volume written once, then three of every four clusters of its first 32 MiB
     * overwritten, the older snapshot deleted, uploaded and scrubbed: the result relocates the
     * remaining quarter (LBAs 3, 7, 11, ... below 8,192). {@code model} gets the content.
     */
    private ScrubResult scrubbedQuarter(LocalVolumeService svc, ObjectStore store, String name, byte[] model) throws Exception {
        String ns = svc.create(name, VolumeSpec.ofSize(model.length)).namespace();
        LocalVolume v = svc.open(name);
        Random r = new Random(21);
        byte[] chunk = new byte[MIB];
        for (long off = 0; off < model.length; off += MIB) {
            r.nextBytes(chunk);
            write(v, model, off, chunk.clone());
        }
        v.snapshot("a");
        byte[] three = new byte[3 * 4096];
        for (long lba = 0; lba < 8192; lba += 4) {
            r.nextBytes(three);
            write(v, model, lba * 4096, three.clone());
        }
        v.snapshot("b");
        v.deleteSnapshot("a");
        assertTrue(svc.awaitUploads(Duration.ofMinutes(1)));
        ScrubReport report = new Scrubber(store, ScrubConfig.of(ns, tmp.resolve("scratch-" + name)), out).run();
        ScrubResult result = ScrubResult.decode(store.get(ns, report.resultKey()), report.resultKey());
        assertTrue(result.relocationCount() >= 2048, "premise: the scrub relocates the live quarter: " + result.relocationCount());
        return result;
    }

    private static void assertReadsBack(LocalVolume v, byte[] model, int length, String when) {
        ByteBuffer buf = ByteBuffer.allocate(MIB);
        for (long off = 0; off < length; off += MIB) {
            buf.clear();
            v.read(off, buf);
            assertArrayEquals(java.util.Arrays.copyOfRange(model, (int) off, (int) off + MIB), buf.array(),
                    when + ": bytes differ in [" + off + ", " + (off + MIB) + ")");
        }
    }

    @Test
    void pacedRelocationsLetConcurrentWritesToTheSameLbasWin() throws Exception {
        byte[] model = new byte[64 * MIB];
        Path backend = tmp.resolve("backend");
        RelocationPacing slow = RelocationPacing.defaults().withBatch(16).withDutyCycle(0.05);
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backend));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node")));
             ScrubApplier applier = new ScrubApplier(svc, Duration.ZERO, null, slow)) {
            ScrubResult result = scrubbedQuarter(svc, store, "race", model);
            LocalVolume v = svc.open("race");
            // a write to a relocated LBA before the apply: its relocation must not apply
            byte[] early = new byte[4096];
            new Random(22).nextBytes(early);
            write(v, model, 3 * 4096L, early);
            AtomicBoolean stop = new AtomicBoolean();
            long[] writes = {0};
            Thread writer = new Thread(() -> {
                Random wr = new Random(23);
                byte[] b = new byte[4096];
                while (!stop.get()) {
                    wr.nextBytes(b);
                    // only the LBAs the result relocates, so writes and relocations race on the same entries
                    long lba = 4L * wr.nextInt(2048) + 3;
                    write(v, model, lba * 4096, b);
                    writes[0]++;
                    // at most ~5,000 writes per second, so that relocations and writes interleave
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            });
            writer.start();
            long start = System.nanoTime();
            List<ScrubApplier.Outcome> outcomes = applier.applyPending("race");
            long applyMillis = (System.nanoTime() - start) / 1_000_000;
            stop.set(true);
            writer.join();
            assertEquals("applied", outcomes.get(0).status(), outcomes.toString());
            int moved = outcomes.get(0).relocated();
            out.printf("paced apply: %d of %d relocations in %d ms, %d concurrent writes to the relocated LBAs%n",
                    moved, result.relocationCount(), applyMillis, writes[0]);
            assertTrue(moved > 0 && moved < result.relocationCount(), "some relocations applied, those of LBAs written"
                    + " meanwhile did not: " + moved + " of " + result.relocationCount());
            assertTrue(writes[0] > 0, "the writer wrote during the apply");
            assertReadsBack(v, model, model.length, "after a paced apply with concurrent writes");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!store.listAll(result.namespace(), ScrubResult.PREFIX).isEmpty() && System.nanoTime() < deadline) {
                applier.drain(Duration.ofSeconds(10));
                Thread.sleep(100);
            }
            assertTrue(store.listAll(result.namespace(), ScrubResult.PREFIX).isEmpty(), "cleaned up");
            assertReadsBack(v, model, model.length, "after the obsolete SCOs were deleted");
        }
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backend));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node-b")))) {
            assertReadsBack(svc.open("race"), model, model.length, "after a rebuild from the backend");
        }
    }

    @Test
    void applyInterruptedByShutdownFinishesAtTheNextApply() throws Exception {
        byte[] model = new byte[64 * MIB];
        Path backend = tmp.resolve("backend");
        ScrubResult result;
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backend));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node")))) {
            result = scrubbedQuarter(svc, store, "halt", model);
            ScrubApplier applier = new ScrubApplier(svc, Duration.ZERO, null,
                    new RelocationPacing(1, 0.001, Duration.ofMillis(10)));
            Thread closer = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                applier.close();
            });
            closer.start();
            List<ScrubApplier.Outcome> outcomes = applier.applyPending("halt");
            closer.join();
            assertEquals("interrupted", outcomes.get(0).status(), outcomes.toString());
            assertTrue(store.exists(result.namespace(), result.key()), "the result stays until it is fully applied");
            for (String sco : result.obsoleteScos()) {
                assertTrue(store.exists(result.namespace(), sco), "obsolete SCO " + sco + " kept: LBAs may still use it");
            }
            assertReadsBack(svc.open("halt"), model, model.length, "with the relocations half done");
        }
        // a side file of a scrub apply that died before its commit is never read
        Path side = tmp.resolve("node").resolve("volumes").resolve(result.namespace()).resolve("volume.json.scrub");
        Files.writeString(side, "{ not a manifest");
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backend));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node")));
             ScrubApplier applier = new ScrubApplier(svc, Duration.ZERO, null, RelocationPacing.fullSpeed())) {
            List<ScrubApplier.Outcome> outcomes = applier.applyPending("halt");
            assertEquals("already-applied", outcomes.get(0).status(), outcomes.toString());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (store.exists(result.namespace(), result.key()) && System.nanoTime() < deadline) {
                applier.drain(Duration.ofSeconds(10));
                Thread.sleep(100);
            }
            assertFalse(store.exists(result.namespace(), result.key()), "cleaned up after the relocations finished");
            for (String sco : result.obsoleteScos()) {
                assertFalse(store.exists(result.namespace(), sco), "obsolete SCO " + sco + " deleted");
            }
            assertReadsBack(svc.open("halt"), model, model.length, "after the relocations finished at restart");
        }
        try (ObjectStore store = new FsObjectStore(new FsStoreConfig(backend));
             LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("node-b")))) {
            assertReadsBack(svc.open("halt"), model, model.length, "after a rebuild from the backend");
        }
    }

    /**
     * Writes (when {@code v} is not null) and returns the parent's content at v1: 16 MiB, then
     * three of every four clusters overwritten, so the first SCOs are a quarter live and a scrub
     * that ignored the clone would move their live clusters and delete them.
     */
    private static byte[] v1Content(LocalVolume v) {
        Random r = new Random(5);
        byte[] content = new byte[16 * MIB];
        r.nextBytes(content);
        if (v != null) {
            v.write(0, ByteBuffer.wrap(content), false);
        }
        byte[] three = new byte[3 * 4096];
        for (int lba = 0; lba < 4096; lba += 4) {
            r.nextBytes(three);
            System.arraycopy(three, 0, content, lba * 4096, three.length);
            if (v != null) {
                v.write(lba * 4096L, ByteBuffer.wrap(three), false);
            }
        }
        return content;
    }

    private static Set<String> keys(ObjectStore store, String ns) {
        Set<String> keys = new TreeSet<>();
        store.listAll(ns, "").forEach(o -> keys.add(o.key()));
        keys.removeIf(k -> k.startsWith("manifest/"));
        return keys;
    }
}
