package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.scrubber.ScrubConfig;
import io.scoria.scrubber.ScrubReport;
import io.scoria.scrubber.Scrubber;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real scrub of the source (the scrubber's job, then its result applied and its obsolete objects
 * deleted as the source's router does), replicated: the target deletes what the source dropped
 * only once the source deleted it and the replica's manifest no longer names it, never while a
 * clone on the target may read it, and a restarted job finishes a sweep the previous one saw.
 */
class ObsoleteSweeperTest {
    private static final int CS = ReplicationJobTest.CS;

    @TempDir
    Path tmp;

    final InMemoryObjectStore a = new InMemoryObjectStore("a");
    final InMemoryObjectStore b = new InMemoryObjectStore("b");
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    /** All clusters written, then a quarter overwritten three times, only the last snapshot kept: garbage to scrub. */
    private VolumeHistory overwritten(ObjectStore store, String ns) throws Exception {
        VolumeHistory v = new VolumeHistory(store, ns, 256, CS, 8 * CS, Files.createTempDirectory(tmp, ns));
        Random r = new Random(31);
        byte[] c = new byte[CS];
        for (long lba = 0; lba < 256; lba++) {
            r.nextBytes(c);
            v.write(lba, c);
        }
        v.snapshot("s0");
        for (int round = 1; round <= 3; round++) {
            for (long lba = 0; lba < 64; lba++) {
                r.nextBytes(c);
                v.write(lba, c);
            }
            v.snapshot("s" + round);
        }
        for (int s = 0; s < 3; s++) {
            v.deleteSnapshot("s" + s);
        }
        return v;
    }

    private static Set<String> objects(ObjectStore store, String ns) {
        Set<String> keys = new TreeSet<>();
        for (String prefix : new String[] {NamespaceLayout.SCO_PREFIX, NamespaceLayout.TLOG_PREFIX}) {
            store.listAll(ns, prefix).forEach(o -> keys.add(o.key()));
        }
        return keys;
    }

    private boolean pass(ReplicationJob job) {
        return job.runOnce();
    }

    private boolean freshJobPass() {
        try (ReplicationJob job = new ReplicationJob(a, b, ReplicationConfig.Replication.defaults(), out)) {
            return job.runOnce();
        }
    }

    @Test
    void whatTheSourcesScrubDroppedIsDeletedOnTheTargetOnceTheSourceDeletedIt() throws Exception {
        VolumeHistory v = overwritten(a, "vm1");
        ScrubResult result;
        try (ReplicationJob job = new ReplicationJob(a, b, ReplicationConfig.Replication.defaults(), out)) {
            assertTrue(pass(job), log.toString());
            Set<String> before = objects(b, "vm1");

            ScrubReport report = new Scrubber(a, ScrubConfig.of("vm1", Files.createTempDirectory(tmp, "scrub")), out).run();
            assertNotNull(report.resultKey(), log.toString());
            result = ScrubResult.decode(a.get("vm1", report.resultKey()), report.resultKey());
            assertFalse(result.obsoleteScos().isEmpty() || result.obsoleteTlogs().isEmpty(), "test premise: the scrub rewrote");
            v.publish(result.applyTo(v.manifest()));
            assertTrue(pass(job), log.toString());
            assertTrue(objects(b, "vm1").containsAll(before), "nothing deleted while the source still holds it");
            assertTrue(ReplicaVerifier.verify(a, b, "vm1").problems().isEmpty());

            // the source's router cleans up after its grace period
            result.obsoleteScos().forEach(k -> a.delete("vm1", k));
            result.obsoleteTlogs().forEach(t -> a.delete("vm1", NamespaceLayout.tlogKey(t)));
            a.delete("vm1", result.key());
            assertTrue(pass(job));
            assertTrue(objects(b, "vm1").containsAll(before),
                    "an unchanged volume is checked again only after " + ObsoleteSweeper.RECHECK_MILLIS + " ms");
        }

        // a DR test clone on the target may read the old SCOs: a restarted job keeps them
        VolumeHistory drtest = new VolumeHistory(b, "drtest", 256, CS, 8 * CS, Files.createTempDirectory(tmp, "drtest"));
        drtest.write(1, new byte[CS]);
        drtest.snapshot("x");
        drtest.publish(drtest.manifest().withParent(new VolumeManifest.Parent("vm1", "vm1", "s3", 4)));
        assertTrue(freshJobPass(), log.toString());
        assertTrue(log.toString().contains("vm1: keeping " + result.obsoleteTlogs().size() + " TLogs the source dropped (scrubbed): volume "
                + "'drtest' on b is a clone of it"), log.toString());
        assertFalse(objects(b, "vm1").equals(objects(a, "vm1")));

        b.deleteNamespace("drtest");
        try (ReplicationJob job = new ReplicationJob(a, b, ReplicationConfig.Replication.defaults(), out)) {
            assertTrue(pass(job), log.toString());
            assertEquals(objects(a, "vm1"), objects(b, "vm1"), "the target holds exactly what the source holds");
            VolumeReplicationCounters c = job.counters().volume("vm1");
            assertTrue(c.objectsDeleted() > 0);
            assertTrue(log.toString().contains("vm1: deleted "), log.toString());
        }
        ReplicaVerifier.Report verified = ReplicaVerifier.verify(a, b, "vm1");
        assertTrue(verified.problems().isEmpty(), verified.problems().toString());
        assertEquals(0, verified.sourceGone());
        ReplicationJobTest.assertConsistentPrefix(a, b, "vm1");
    }
}
