package io.scoria.it.transform;

import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.transform.KeyDestroyedException;
import io.scoria.backend.transform.KeyRing;
import io.scoria.distributor.config.BackendConfig;
import io.scoria.backend.testing.ByteSearch;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compression and encryption at rest through the real program: {@code scoria serve} on s3proxy
 * with a {@code backend.transform} section and a key-encryption key in a file. A volume created
 * with {@code zstd:1} + {@code aes-256-gcm} and one with neither are written over NBD with
 * {@code nbdcopy} (text lines numbered so each is unique); the plain volume's backend objects and
 * local SCO files hold the lines (so the search can find them), the encrypted one's do not. A second router with no
 * local state reads the encrypted volume back from the backend byte for byte; deleting the volume
 * then leaves a copy of its objects taken beforehand unreadable (crypto-shredding).
 */
class TransformedVolumeIT {
    @TempDir
    Path dir;
    private S3ProxyServer s3;
    private ManagedProcess serve;
    private int apiPort;
    private int nbdPort;
    private Path dataDir;

    @AfterEach
    void stop() throws Exception {
        if (serve != null) {
            serve.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private String ok(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + apiPort, "--token-file", dataDir.resolve("admin.token").toString()));
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return out.toString();
    }

    private void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    private Path config(String data) throws Exception {
        dataDir = dir.resolve(data);
        apiPort = ManagedProcess.freePort();
        nbdPort = ManagedProcess.freePort();
        Path cfg = dir.resolve(data + ".yaml");
        Files.writeString(cfg, String.join("\n",
                "dataDir: " + dataDir,
                "nbd: {port: " + nbdPort + "}",
                "iscsi: {port: 0}",
                "api: {port: " + apiPort + "}",
                "cache: {clusterCache: 64MiB, scoCache: 256MiB}",
                "backend:",
                "  type: s3",
                "  s3: {endpoint: '" + s3.endpoint() + "', accessKey: " + S3ProxyServer.ACCESS_KEY + ", secretKey: "
                        + S3ProxyServer.SECRET_KEY + "}",
                "  transform: {compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: {file: scoria.kek}}",
                ""));
        return cfg;
    }

    private void startServe(Path cfg) throws Exception {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve-" + dataDir.getFileName() + ".log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort) && Files.exists(dataDir.resolve("admin.token")));
    }

    /** Whether a file under {@code root} holds {@code needle}. */
    private static boolean anyFileHolds(Path root, byte[] needle) throws java.io.IOException {
        assertTrue(Files.isDirectory(root), root + " exists");
        try (var walk = Files.walk(root)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                if (ByteSearch.contains(Files.readAllBytes(f), needle)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean containsLine(ObjectStore raw, String ns, byte[] line) {
        return raw.listAll(ns, "").stream().anyMatch(o -> ByteSearch.contains(raw.get(ns, o.key()).array(), line));
    }

    @Test
    void encryptedVolumeOverNbdKeepsNoPlaintextOnTheBackendAndDiesWithItsKey() throws Exception {
        s3 = S3ProxyServer.start("transform");
        byte[] kek = new byte[32];
        new SecureRandom().nextBytes(kek);
        Files.writeString(dir.resolve("scoria.kek"), Base64.getEncoder().encodeToString(kek) + "\n");
        Path cfg = config("data-a");
        startServe(cfg);

        String created = ok("volume", "create", "secret", "--size", "64MiB", "--compression", "zstd:1");
        assertTrue(created.contains("compression zstd:1, encryption aes-256-gcm"), created);
        assertTrue(ok("volume", "create", "clear", "--size", "64MiB", "--compression", "none", "--encryption", "none")
                .contains("compression none, encryption none"));
        String shown = ok("volume", "show", "secret");
        assertTrue(shown.contains("\"compression\" : \"zstd:1\"") && shown.contains("\"encryption\" : \"aes-256-gcm\""),
                shown);

        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < (9 << 20); i++) {
            text.append(String.format("scoria-it plaintext line %08d of a guest's log file%n", i));
        }
        byte[] image = java.util.Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), 9 << 20);
        Path file = Files.write(dir.resolve("image.raw"), image);
        for (String volume : List.of("secret", "clear")) {
            run("nbdcopy", file.toString(), "nbd://127.0.0.1:" + nbdPort + "/" + volume);
        }
        serve.close();
        serve = null;

        byte[] anyLine = "scoria-it plaintext line ".getBytes(StandardCharsets.US_ASCII);
        Path flash = dataDir.resolve("flash");
        assertTrue(anyFileHolds(flash.resolve("sco").resolve("clear"), anyLine),
                "the search finds plaintext in the unencrypted volume's local SCO files");
        assertFalse(anyFileHolds(flash.resolve("sco").resolve("secret"), anyLine),
                "plaintext in the encrypted volume's local SCO files");
        assertFalse(anyFileHolds(flash.resolve("volumes").resolve("secret"), anyLine),
                "plaintext in the encrypted volume's TLogs or metadata");

        BackendConfig backend = ConfigReader.read(cfg).section("backend", BackendConfig.class);
        byte[] probe = String.format("scoria-it plaintext line %08d", 12345).getBytes(StandardCharsets.US_ASCII);
        java.util.Map<String, ByteBuffer> copies = new java.util.TreeMap<>();
        try (ObjectStore raw = backend.openUntransformed()) {
            assertTrue(containsLine(raw, "clear", probe), "the search finds plaintext in the unencrypted volume");
            assertFalse(containsLine(raw, "secret", probe), "plaintext in the encrypted volume's backend objects");
            for (ObjectInfo o : raw.listAll("secret", "sco/")) {
                copies.put(o.key(), raw.get("secret", o.key()));
            }
            assertTrue(raw.exists(KeyRing.DEFAULT_NAMESPACE, "volume/secret"));
        }
        assertFalse(copies.isEmpty(), "the encrypted volume's SCOs are on the backend");

        startServe(config("data-b"));
        Path back = dir.resolve("back.raw");
        run("nbdcopy", "nbd://127.0.0.1:" + nbdPort + "/secret", back.toString());
        assertArrayEquals(image, java.util.Arrays.copyOf(Files.readAllBytes(back), image.length),
                "a router without local state reads the encrypted volume from the backend");

        ok("volume", "delete", "secret");
        try (ObjectStore raw = backend.openUntransformed(); ObjectStore decrypting = backend.open()) {
            assertFalse(raw.exists(KeyRing.DEFAULT_NAMESPACE, "volume/secret"), "the data key is destroyed");
            assertFalse(raw.namespaceExists("secret"));
            raw.createNamespace("secret");
            for (var c : copies.entrySet()) {
                raw.put("secret", c.getKey(), c.getValue());
            }
            for (String key : copies.keySet()) {
                KeyDestroyedException e = assertThrows(KeyDestroyedException.class, () -> decrypting.get("secret", key),
                        "a copy of " + key + " taken before the delete and put back (a lagging delete, a backup)");
                assertTrue(e.getMessage().contains("volume 'secret'"), e.getMessage());
            }
            ByteBuffer clear = decrypting.get("clear", raw.listAll("clear", "sco/").get(0).key());
            assertTrue(clear.remaining() > 0, "other volumes are untouched");
        }
    }
}
