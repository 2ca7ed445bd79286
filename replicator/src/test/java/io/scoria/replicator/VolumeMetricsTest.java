package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-volume replication metrics, as a scrape of {@link MetricsEndpoint#text} shows them after real passes. */
class VolumeMetricsTest {
    private static final Pattern SAMPLE = Pattern.compile("^(scoria_replication_volume_\\w+)\\{volume=\"([^\"]*)\"} (\\S+)$",
            Pattern.MULTILINE);

    @TempDir
    Path tmp;

    final InMemoryObjectStore a = new InMemoryObjectStore("a");
    final InMemoryObjectStore b = new InMemoryObjectStore("b");
    final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    /** The per-volume samples of a scrape: "family/volume" to value. */
    static Map<String, Double> scrape(ReplicationCounters c, long nowMillis) {
        Map<String, Double> samples = new HashMap<>();
        Matcher m = SAMPLE.matcher(MetricsEndpoint.text(c, nowMillis));
        while (m.find()) {
            samples.put(m.group(1).substring("scoria_replication_volume_".length()) + "/" + m.group(2), Double.parseDouble(m.group(3)));
        }
        return samples;
    }

    /** One sample of a scrape, which must be there. */
    static double v(Map<String, Double> samples, String key) {
        Double value = samples.get(key);
        assertNotNull(value, key + " in " + samples);
        return value;
    }

    static long bytes(ObjectStore store, String ns) {
        long sum = 0;
        for (String prefix : List.of(NamespaceLayout.SCO_PREFIX, NamespaceLayout.TLOG_PREFIX)) {
            sum += store.listAll(ns, prefix).stream().mapToLong(o -> o.size()).sum();
        }
        return sum;
    }

    @Test
    void eachVolumeHasItsOwnBytesObjectsErrorsAndLag() {
        ReplicationJobTest.history(a, "vm1", 3, 21, tmp);
        VolumeHistory bad = ReplicationJobTest.history(a, "vm2", 3, 22, tmp);
        List<String> sealed = new ArrayList<>();
        TLogReader.replaySealed(a.get("vm2", NamespaceLayout.tlogKey(bad.manifest().allTlogs().get(1))), "t",
                TLogVisitor.sealedScos((sco, crc, n) -> sealed.add(NamespaceLayout.scoKey(sco))));
        a.corrupt("vm2", sealed.get(0), 100);
        long now = System.currentTimeMillis();
        try (ReplicationJob job = new ReplicationJob(a, b, ReplicationConfig.Replication.defaults(), out)) {
            assertFalse(job.runOnce());
            Map<String, Double> s = scrape(job.counters(), now + 60_000);
            assertEquals(ReplicationJobTest.objects(a, "vm1"), (long) v(s, "objects_shipped_total/vm1"));
            assertEquals(bytes(b, "vm1"), (long) v(s, "bytes_shipped_total/vm1"));
            assertEquals(1, v(s, "manifests_published_total/vm1"));
            assertEquals(0, v(s, "errors_total/vm1"));
            assertEquals(0, v(s, "stopped/vm1"));
            assertEquals(0, v(s, "lag_seconds/vm1"), "current: no lag however late the scrape");
            assertEquals(0, v(s, "lag_objects/vm1"));
            assertTrue(v(s, "last_current_timestamp_seconds/vm1") >= now / 1000.0, s.toString());

            assertEquals(bytes(b, "vm2"), (long) v(s, "bytes_shipped_total/vm2"), "what went before the corrupt SCO");
            assertEquals(0, v(s, "manifests_published_total/vm2"));
            assertEquals(1, v(s, "errors_total/vm2"));
            assertEquals(1, v(s, "stopped/vm2"));
            assertTrue(v(s, "lag_seconds/vm2") >= 59.0, "behind since vm2's manifest reached the source: " + s);
            assertTrue(v(s, "lag_objects/vm2") >= 2, "at least the unshipped TLog and its corrupt SCO: " + s);
            assertEquals(job.counters().bytesShipped(), (long) v(s, "bytes_shipped_total/vm1")
                    + (long) v(s, "bytes_shipped_total/vm2"), "the volumes add up to the job's total");
        }
    }

    @Test
    void aVolumeBehindKeepsItsLagAndErrorsUntilAPassCatchesUp() throws Exception {
        VolumeHistory v = ReplicationJobTest.history(a, "vm1", 2, 23, tmp);
        FaultInjectingStore target = new FaultInjectingStore(b);
        try (ReplicationJob job = new ReplicationJob(a, target, ReplicationConfig.Replication.defaults(), out)) {
            assertTrue(job.runOnce());
            long shipped = job.counters().volume("vm1").bytesShipped();

            v.write(7, new byte[ReplicationJobTest.CS]);
            v.snapshot("later");
            VolumeManifest later = v.manifest();
            long written = a.stat("vm1", NamespaceLayout.manifestKey(later.generation())).lastModified().toEpochMilli();
            target.failWhen(c -> c.op() == FaultInjectingStore.Op.PUT && c.key().startsWith(NamespaceLayout.TLOG_PREFIX));
            assertTrue(job.runOnce(), "a backend failure fails the pass, it does not stop the volume");
            assertTrue(job.runOnce());
            Map<String, Double> s = scrape(job.counters(), written + 30_000);
            assertEquals(2, v(s, "errors_total/vm1"));
            assertEquals(0, v(s, "stopped/vm1"));
            assertEquals(30.0, v(s, "lag_seconds/vm1"), 0.001, "behind since the new manifest reached the source");
            assertEquals(1, v(s, "lag_objects/vm1"), "its TLog (the SCO it seals is on the target)");
            assertEquals(1, v(s, "manifests_published_total/vm1"));

            target.heal();
            assertTrue(job.runOnce());
            s = scrape(job.counters(), written + 30_000);
            assertEquals(0, v(s, "lag_seconds/vm1"));
            assertEquals(0, v(s, "lag_objects/vm1"));
            assertEquals(2, v(s, "manifests_published_total/vm1"));
            assertEquals(2, v(s, "errors_total/vm1"));
            assertEquals(bytes(b, "vm1"), (long) v(s, "bytes_shipped_total/vm1"));
            assertTrue(v(s, "bytes_shipped_total/vm1") > shipped);
        }
    }

    @Test
    void aSourceThatCannotBeListedCountsAnErrorForEveryVolumeSeen() {
        ReplicationJobTest.history(a, "vm1", 1, 24, tmp);
        ReplicationJobTest.history(a, "vm2", 1, 25, tmp);
        FaultInjectingStore source = new FaultInjectingStore(a);
        try (ReplicationJob job = new ReplicationJob(source, b, ReplicationConfig.Replication.defaults(), out)) {
            assertTrue(job.runOnce());
            source.down(true);
            assertThrows(io.scoria.backend.BackendException.class, job::runOnce);
            Map<String, Double> s = scrape(job.counters(), System.currentTimeMillis());
            assertEquals(1, v(s, "errors_total/vm1"));
            assertEquals(1, v(s, "errors_total/vm2"));
            assertEquals(0, v(s, "stopped/vm1"));
        }
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("a\\\"b\\\\c\\nd", MetricsEndpoint.labelValue("a\"b\\c\nd"));
        ReplicationCounters c = new ReplicationCounters();
        c.shipped("vm\"x", 10);
        assertTrue(MetricsEndpoint.text(c, 0).contains("scoria_replication_volume_bytes_shipped_total{volume=\"vm\\\"x\"} 10\n"));
    }
}
