package io.scoria.scrubber;

import io.scoria.backend.ObjectStore;
import io.scoria.distributor.config.BackendConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code scoria-scrub} reads its config with the shared reader, like {@code scoria serve}. */
class ScrubMainTest {
    /** A file {@code scoria serve} accepts: every section of its config, the backend with a relative root. */
    private static final String SERVE_CONFIG = """
            dataDir: data
            nbd: {host: 127.0.0.1, port: 10809, exports: {vm1: {readOnly: false}}}
            api: {port: 8080}
            backend: {type: fs, fs: {root: objects}}
            cache: {clusterCache: 1GiB, scoCache: 2GiB}
            volumes: {clusterSize: 4KiB, scoSize: 4MiB}
            foc: {mode: none}
            scrub: {poll: 30s, grace: 60s}
            """;

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    private static Run scrub(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ScrubMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path etc() throws Exception {
        return Files.createDirectories(tmp.resolve("etc/scoria"));
    }

    @Test
    void acceptsTheRoutersConfigAndResolvesItsRelativeRootAgainstTheFilesDirectory() throws Exception {
        Path cfg = Files.writeString(etc().resolve("scoria.yaml"), SERVE_CONFIG);
        assertNotEquals(cfg.getParent().toAbsolutePath(), Path.of("").toAbsolutePath());
        BackendConfig backend = ScrubMain.readBackend(cfg);
        assertEquals(cfg.getParent().resolve("objects").toAbsolutePath(), backend.fs().root());
        try (ObjectStore store = backend.open()) {
            store.createNamespace("vm1");
        }
        Run r = scrub("--config", cfg.toString(), "--namespace", "vm1", "--scratch", tmp.resolve("scratch").toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("has no volume manifest"), "found the namespace under the config's directory: " + r.err());
        assertTrue(r.out().matches("(?s).*scoria-scrub: backend requests: PUT \\d+, GET [1-9]\\d*, .*"),
                "even a failed scrub says what it asked of the backend: " + r.out());
    }

    @Test
    void readsCredentialsFromAFileNextToTheConfig() throws Exception {
        Files.writeString(etc().resolve("s3.secret"), "s3cr3t-Value-42\n");
        Path cfg = Files.writeString(etc().resolve("scrub.yaml"),
                "backend: {type: s3, s3: {endpoint: 'http://127.0.0.1:9', accessKey: AKIA-42, secretKey: {file: s3.secret}}}\n");
        BackendConfig backend = ScrubMain.readBackend(cfg);
        assertEquals("s3cr3t-Value-42", backend.s3().secretKey().reveal());
        assertFalse(backend.toString().contains("s3cr3t-Value-42"), backend.toString());
    }

    @Test
    void errorsNameTheKeyByItsFullPathAndNeverACredential() throws Exception {
        Path cfg = Files.writeString(etc().resolve("scrub.yaml"),
                "backend: {type: s3, s3: {acessKey: AKIA-42, secretKey: s3cr3t-Value-42}}\n");
        Run r = scrub("--config", cfg.toString(), "--namespace", "vm1");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("scoria-scrub: error: " + cfg + ": backend.s3.acessKey: unknown key"), r.err());
        assertFalse(r.err().contains("s3cr3t-Value-42") || r.err().contains("AKIA-42"), r.err());

        Files.writeString(cfg, "backend: {type: s3, s3: {accessKey: AKIA-42, secretKey: {file: missing.secret}}}\n");
        r = scrub("--config", cfg.toString(), "--namespace", "vm1");
        assertEquals(1, r.code());
        assertEquals("scoria-scrub: error: " + cfg + ": backend.s3.secretKey: secret file "
                + cfg.getParent().resolve("missing.secret").toAbsolutePath() + " not found", r.err().strip());

        Files.writeString(cfg, "dataDir: data\n");
        r = scrub("--config", cfg.toString(), "--namespace", "vm1");
        assertEquals("scoria-scrub: error: " + cfg + ": backend: section is missing", r.err().strip());
    }

    @Test
    void workerModeRefusesOptionsOfASingleScrubAndBadSettingsBeforeTouchingTheBackend() throws Exception {
        Path cfg = Files.writeString(etc().resolve("scrub.yaml"), "backend: {type: fs, fs: {root: objects}}\n");
        Run r = scrub("--config", cfg.toString(), "--worker", "--namespace", "vm1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--worker takes its volumes from the work queue: --namespace, --snapshot and"
                + " --metrics-file do not apply"), r.err());
        r = scrub("--config", cfg.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--namespace is required (or --worker to take published work)"), r.err());
        r = scrub("--config", cfg.toString(), "--worker", "--poll-interval", "10ms");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("the poll interval must be 100ms to 1h: PT0.01S"), r.err());
        r = scrub("--config", cfg.toString(), "--worker", "--poll-interval", "soon");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--poll-interval") && r.err().contains("expected a duration"), r.err());
        r = scrub("--config", cfg.toString(), "--worker", "--max-attempts", "0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("maxAttempts must be 1-100: 0"), r.err());
        Files.writeString(cfg, "dataDir: data\n");
        r = scrub("--config", cfg.toString(), "--worker");
        assertEquals(1, r.code(), r.err());
        assertEquals("scoria-scrub: error: " + cfg + ": backend: section is missing", r.err().strip());
        assertFalse(Files.exists(cfg.getParent().resolve("objects")), "nothing was created");
    }
}
