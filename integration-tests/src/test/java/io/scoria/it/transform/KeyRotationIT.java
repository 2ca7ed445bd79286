package io.scoria.it.transform;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.transform.WrongKeyException;
import io.scoria.distributor.config.BackendConfig;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key rotation through the real programs on an fs backend: {@code scoria serve} with a
 * key-encryption key in a file writes two encrypted volumes over NBD ({@code nbdcopy}); with the
 * router stopped, {@code ./scoria backend rotate-keys} (a separate process) re-wraps both data keys
 * under a new KEK and a second run finds nothing to do; the old KEK is removed from the config,
 * the router is started again and both volumes read back byte for byte. Before the rotation the new
 * KEK alone opens neither volume, after it the old one alone opens neither. Then a router started
 * with a third KEK (the second one as previous) rotates through its API ({@code ./scoria backend
 * rotate-keys} without {@code --config}) while it serves, and the volumes open with the third KEK alone.
 */
class KeyRotationIT {
    @TempDir
    Path dir;
    private ManagedProcess serve;
    private int apiPort;
    private int nbdPort;
    private final Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();

    @AfterEach
    void stop() {
        if (serve != null) {
            serve.close();
        }
    }

    private Path config(String name, String transform) throws Exception {
        return Files.writeString(dir.resolve(name), String.join("\n",
                "dataDir: " + dir.resolve("data"),
                "nbd: {port: " + nbdPort + "}",
                "iscsi: {port: 0}",
                "api: {port: " + apiPort + "}",
                "cache: {clusterCache: 32MiB, scoCache: 128MiB}",
                "volumes: {scoSize: 1MiB}",
                "backend:",
                "  type: fs",
                "  fs: {root: " + dir.resolve("backend") + "}",
                "  transform: " + transform,
                ""));
    }

    private void startServe(Path cfg) throws Exception {
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve-" + System.nanoTime() + ".log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort) && Files.exists(dir.resolve("data").resolve("admin.token")));
    }

    private String scoria(int expectedCode, String... args) throws Exception {
        String[] argv = new String[args.length + 1];
        argv[0] = repo.resolve("scoria").toString();
        System.arraycopy(args, 0, argv, 1, args.length);
        Command c = Command.run(180, argv);
        assertEquals(expectedCode, c.exitCode(), String.join(" ", args) + ": " + c.output());
        return c.output();
    }

    private String api(String... args) throws Exception {
        String[] full = Arrays.copyOf(args, args.length + 4);
        full[args.length] = "--api";
        full[args.length + 1] = "http://127.0.0.1:" + apiPort;
        full[args.length + 2] = "--token-file";
        full[args.length + 3] = dir.resolve("data").resolve("admin.token").toString();
        return scoria(0, full);
    }

    private static void assertVolumesDoNotOpen(Path cfg, String why) {
        try (ObjectStore store = ConfigReader.read(cfg).section("backend", BackendConfig.class).open()) {
            for (String v : List.of("vm1", "vm2")) {
                WrongKeyException e = assertThrows(WrongKeyException.class,
                        () -> store.get(v, store.listAll(v, "").get(0).key()), v + ": " + why);
                assertTrue(e.getMessage().contains("volume '" + v + "'"), e.getMessage());
            }
        }
    }

    private static String kekFile(Path f) throws Exception {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        Files.writeString(f, Base64.getEncoder().encodeToString(k) + "\n");
        return "{file: " + f + "}";
    }

    @Test
    void rotateWithTheRouterStoppedThenDropTheOldKeyAndReadBack() throws Exception {
        apiPort = ManagedProcess.freePort();
        nbdPort = ManagedProcess.freePort();
        String oldKek = kekFile(dir.resolve("old.kek"));
        String newKek = kekFile(dir.resolve("new.kek"));
        Path before = config("before.yaml", "{compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: " + oldKek + "}");
        Path rotating = config("rotating.yaml", "{compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: " + newKek
                + ", previousKeyEncryptionKeys: [" + oldKek + "]}");
        Path after = config("after.yaml", "{compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: " + newKek + "}");
        Path oldOnly = config("old-only.yaml", "{compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: " + oldKek + "}");

        startServe(before);
        api("volume", "create", "vm1", "--size", "32MiB");
        api("volume", "create", "vm2", "--size", "32MiB", "--compression", "zstd:1");
        byte[][] images = new byte[2][];
        for (int i = 0; i < 2; i++) {
            StringBuilder text = new StringBuilder();
            for (int line = 0; text.length() < (3 << 20); line++) {
                text.append(String.format("vm%d line %08d%n", i + 1, line));
            }
            byte[] random = new byte[3 << 20];
            new Random(i).nextBytes(random);
            byte[] image = Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), 6 << 20);
            System.arraycopy(random, 0, image, 3 << 20, random.length);
            images[i] = image;
            Path file = Files.write(dir.resolve("vm" + (i + 1) + ".raw"), image);
            Command.run(180, "nbdcopy", file.toString(), "nbd://127.0.0.1:" + nbdPort + "/vm" + (i + 1)).ok();
        }
        serve.close();
        serve = null;
        assertVolumesDoNotOpen(after, "the new KEK alone does not open a key the old one wrapped");

        String rotated = scoria(0, "backend", "rotate-keys", "--config", rotating.toString());
        assertTrue(rotated.contains("re-wrapped 2 data keys"), rotated);
        String again = scoria(0, "backend", "rotate-keys", "--config", rotating.toString());
        assertTrue(again.contains("re-wrapped 0 data keys") && again.contains("2 already under it"), again);
        assertVolumesDoNotOpen(oldOnly, "the old KEK is retired");

        startServe(after);
        for (int i = 0; i < 2; i++) {
            Path back = dir.resolve("back" + i + ".raw");
            Command.run(180, "nbdcopy", "nbd://127.0.0.1:" + nbdPort + "/vm" + (i + 1), back.toString()).ok();
            assertArrayEquals(images[i], Arrays.copyOf(Files.readAllBytes(back), images[i].length),
                    "vm" + (i + 1) + " reads back byte for byte with only the new KEK configured");
        }
        serve.close();

        // a second rotation done by the running router (POST /v1/backend/rotate-keys through the CLI)
        String third = kekFile(dir.resolve("third.kek"));
        startServe(config("rotating-2.yaml", "{compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: " + third
                + ", previousKeyEncryptionKeys: [" + newKek + "]}"));
        String online = api("backend", "rotate-keys");
        assertTrue(online.contains("re-wrapped 2 data keys"), online);
        Path back = dir.resolve("back-online.raw");
        Command.run(180, "nbdcopy", "nbd://127.0.0.1:" + nbdPort + "/vm1", back.toString()).ok();
        assertArrayEquals(images[0], Arrays.copyOf(Files.readAllBytes(back), images[0].length), "vm1 after the rotation");
        serve.close();
        serve = null;
        assertVolumesDoNotOpen(after, "the key the running router rotated away from is retired");
        try (ObjectStore store = ConfigReader.read(config("third-only.yaml", "{compression: lz4, encryption: aes-256-gcm, "
                + "keyEncryptionKey: " + third + "}")).section("backend", BackendConfig.class).open()) {
            for (String v : List.of("vm1", "vm2")) {
                assertTrue(store.get(v, store.listAll(v, "sco/").get(0).key()).remaining() > 0, v + " opens with the third KEK");
            }
        }
    }
}
