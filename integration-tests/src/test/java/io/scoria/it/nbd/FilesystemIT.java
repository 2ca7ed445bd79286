package io.scoria.it.nbd;

import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.it.harness.ManagedProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A real kernel filesystem on a Scoria volume: {@code scoria serve} (the launcher, the real
 * engine on an fs backend) exports it, {@code nbdfuse} turns the export into a file,
 * {@code losetup} + {@code mkfs.ext4} + {@code mount} put ext4 on it; a tree of files with
 * known SHA-256 sums is copied in. Then a snapshot, a clone of it, {@code fsck -n} and the
 * checksums on the clone, and the same again after restarting {@code scoria serve}.
 */
class FilesystemIT {
    @TempDir
    Path dir;
    final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
    int apiPort;
    int nbdPort;
    ManagedProcess serve;

    @AfterEach
    void tearDown() {
        detach();
        stopServeQuietly();
    }

    /** Unmounts nbdfuse and detaches loop devices (newest first). */
    void detach() {
        while (!cleanup.isEmpty()) {
            try {
                cleanup.pop().close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
    }

    void startServe() throws Exception {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nnbd: {port: " + nbdPort + "}\niscsi: {port: 0}\napi: {port: "
                + apiPort + "}\ncache: {clusterCache: 64MiB, scoCache: 512MiB}\n");
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort));
    }

    void stopServe() {
        serve.close();
        assertFalse(serve.isAlive());
    }

    String scoria(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.add("--api");
        full.add("http://127.0.0.1:" + apiPort);
        full.add("--token-file");
        full.add(dir.resolve("data").resolve("admin.token").toString());
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return out.toString();
    }

    /** nbdfuse exposes the export as {@code mountpoint/nbd}; returns that file. */
    Path nbdfuse(String export, boolean readOnly) throws Exception {
        Path mp = Files.createDirectories(dir.resolve("fuse-" + export));
        List<String> cmd = new ArrayList<>(List.of("nbdfuse"));
        if (readOnly) {
            cmd.add("-r");
        }
        cmd.add(mp.toString());
        cmd.add("nbd://127.0.0.1:" + nbdPort + "/" + export);
        ManagedProcess p = ManagedProcess.start("nbdfuse-" + export, cmd, dir, dir.resolve("nbdfuse-" + export + ".log"));
        Path file = mp.resolve("nbd");
        p.awaitReady(Duration.ofSeconds(30), () -> Files.exists(file));
        cleanup.push(() -> {
            Command.run(30, "fusermount3", "-u", mp.toString());
            p.close();
        });
        return file;
    }

    String losetup(Path file) throws Exception {
        String dev = Command.run(30, "losetup", "-f", "--show", file.toString()).ok().output().strip();
        cleanup.push(() -> Command.run(30, "losetup", "-d", dev));
        return dev;
    }

    static Map<String, String> writeTree(Path root, long seed) throws Exception {
        Random rnd = new Random(seed);
        Map<String, String> sums = new TreeMap<>();
        for (int d = 0; d < 4; d++) {
            Path sub = Files.createDirectories(root.resolve("dir" + d));
            for (int f = 0; f < 12; f++) {
                byte[] data = new byte[1 + rnd.nextInt(300_000)];
                rnd.nextBytes(data);
                Path file = sub.resolve("file" + f + ".bin");
                Files.write(file, data);
                sums.put(root.relativize(file).toString(), sha256(data));
            }
        }
        return sums;
    }

    static Map<String, String> readTree(Path root) throws Exception {
        Map<String, String> sums = new TreeMap<>();
        try (var files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p) && p.toString().endsWith(".bin")) {
                    sums.put(root.relativize(p).toString(), sha256(Files.readAllBytes(p)));
                }
            }
        }
        return sums;
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** fsck -n is clean and the mounted tree has the expected checksums. */
    void checkClone(String export, Map<String, String> expected) throws Exception {
        Path file = nbdfuse(export, false);
        String dev = losetup(file);
        Command fsck = Command.run(300, "fsck.ext4", "-n", "-f", dev);
        assertEquals(0, fsck.exitCode(), "fsck -n on the clone:\n" + fsck.output());
        Path mnt = Files.createDirectories(dir.resolve("mnt-" + export));
        Command.run(60, "mount", "-o", "ro", dev, mnt.toString()).ok();
        try {
            assertEquals(expected, readTree(mnt));
        } finally {
            Command.run(60, "umount", mnt.toString()).ok();
        }
        detach();
    }

    @Test
    void ext4OnAVolumeSnapshotCloneFsckAndRestart() throws Exception {
        apiPort = ManagedProcess.freePort();
        nbdPort = ManagedProcess.freePort();
        startServe();
        scoria("volume", "create", "fsvol", "--size", "256MiB");

        Path file = nbdfuse("fsvol", false);
        String dev = losetup(file);
        Command.run(300, "mkfs.ext4", "-q", "-F", dev).ok();
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Command.run(60, "mount", dev, mnt.toString()).ok();
        Map<String, String> sums;
        try {
            sums = writeTree(mnt, 42);
            Command.run(60, "sync").ok();
        } finally {
            Command.run(60, "umount", mnt.toString()).ok();
        }
        detach(); // loop device and nbdfuse gone: every write reached Scoria
        assertEquals(48, sums.size());

        scoria("snapshot", "create", "fsvol", "snap1");
        scoria("clone", "create", "fsvol", "fsclone", "--snapshot", "snap1");
        checkClone("fsclone", sums);

        stopServe();
        startServe();
        assertTrue(scoria("volume", "list").contains("fsclone"));
        checkClone("fsclone", sums);
        checkClone("fsvol", sums);
    }

    private void stopServeQuietly() {
        if (serve != null) {
            serve.close();
        }
    }
}
