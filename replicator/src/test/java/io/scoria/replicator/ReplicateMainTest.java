package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line end to end over two fs backends described by one config file. */
class ReplicateMainTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    Run replicate(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ReplicateMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Path config(String extra) throws Exception {
        Path file = dir.resolve("repl.yaml");
        Files.writeString(file, "source: {type: fs, fs: {root: site-a}}\ntarget: {type: fs, fs: {root: site-b}}\n" + extra);
        return file;
    }

    @Test
    void runVerifyPromoteAndFailbackFromTheCommandLine() throws Exception {
        Path cfg = config("replication: {pattern: 'vm*', bandwidthLimit: 64MiB, parallelism: 2}\n");
        ReplicationConfig c = ReplicationConfig.read(cfg);
        try (ObjectStore a = c.source().open(); ObjectStore b = c.target().open()) {
            VolumeHistory v = ReplicationJobTest.history(a, "vm1", 3, 30, dir);
            Run run = replicate("run", "--config", cfg.toString(), "--once");
            assertEquals(0, run.code(), run.out() + run.err());
            assertTrue(run.out().contains("vm1: manifest generation 4 shipped as 4: 3 TLogs"), run.out());
            assertTrue(run.out().matches("(?s).*source backend requests: PUT \\d+, GET [1-9]\\d*, .*"), run.out());
            assertTrue(run.out().matches("(?s).*target backend requests: PUT [1-9]\\d*, .*"), run.out());
            assertEquals(v.manifest().allTlogs(), new VolumeManifestStore(b).readLatest("vm1").orElseThrow().allTlogs());

            Run ok = replicate("verify", "--config", cfg.toString());
            assertEquals(0, ok.code(), ok.out() + ok.err());
            assertTrue(ok.out().contains("verify vm1: manifest generation 4: 3 TLogs") && ok.out().contains(": OK"), ok.out());
            String sco = b.listAll("vm1", NamespaceLayout.SCO_PREFIX).get(1).key();
            ByteBuffer good = b.get("vm1", sco);
            ByteBuffer bad = ByteBuffer.allocate(good.remaining()).put(good.duplicate()).flip();
            bad.put(5, (byte) (bad.get(5) ^ 1));
            b.put("vm1", sco, bad);
            Run mismatch = replicate("verify", "--config", cfg.toString(), "--volume", "vm1");
            assertEquals(1, mismatch.code());
            assertTrue(mismatch.out().contains("1 problems") && mismatch.out().contains(b.name() + ":vm1/" + sco), mismatch.out());
            b.put("vm1", sco, good);

            Run promoted = replicate("promote", "vm1", "--config", cfg.toString());
            assertEquals(0, promoted.code(), promoted.err());
            assertTrue(promoted.out().contains("promoted vm1") && promoted.out().contains("at epoch 1"), promoted.out());
            Run refused = replicate("run", "--config", cfg.toString(), "--once");
            assertEquals(1, refused.code());
            assertTrue(refused.out().contains("was promoted (epoch 1)"), refused.out());
            Run twice = replicate("promote", "vm1", "--config", cfg.toString());
            assertEquals(1, twice.code());
            assertTrue(twice.err().contains("was already promoted"), twice.err());

            SiteWriter.append(b, "vm1", dir, FailbackTest.clusters(3, 4, 0x61));
            Run back = replicate("failback", "vm1", "--config", cfg.toString());
            assertEquals(0, back.code(), back.out() + back.err());
            assertTrue(back.out().contains("shipped 1 TLogs"), back.out());
            Run resumed = replicate("run", "--config", cfg.toString(), "--once", "--volume", "vm1");
            assertEquals(0, resumed.code(), resumed.out() + resumed.err());
            assertTrue(resumed.out().contains("0 objects shipped"), resumed.out());
        }
    }

    @Test
    void configErrorsNameTheKey() throws Exception {
        Run r = replicate("run", "--config", config("replication: {mode: sometimes}\n").toString(), "--once");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("replication.mode") && r.err().contains("continuous or snapshot"), r.err());
        Run missing = replicate("run", "--config", config("").toString().replace("repl", "nope"));
        assertEquals(1, missing.code());
        Run unknown = replicate("run", "--config", config("replication: {volume: [vm1]}\n").toString());
        assertTrue(unknown.err().contains("replication.volume: unknown key"), unknown.err());
        Run progress = replicate("run", "--config", config("").toString(), "--once", "--progress", "sometimes");
        assertEquals(2, progress.code());
        assertTrue(progress.err().contains("--progress") && progress.err().contains("sometimes")
                && progress.err().contains("[auto, always, never]"), progress.err());
    }
}
