package io.scoria.it.vdi;

import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.nbd.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One {@code scoria serve} process (launcher, real engine, fs backend, ephemeral ports) with its
 * data directory under {@code dir}, the {@code scoria} CLI pointed at it, and real NBD clients
 * ({@code qemu-io}, {@code nbdcopy}). {@link #restart} stops the process (kill -9) and starts it again
 * on the same data directory. Not thread-safe; closes the process.
 */
final class RouterUnderTest implements AutoCloseable {
    /** Exit code, standard output and error of one CLI run. */
    record Result(int code, String out, String err) {
    }

    private final Path dir;
    private final int apiPort = ManagedProcess.freePort();
    private final int nbdPort = ManagedProcess.freePort();
    private ManagedProcess serve;

    RouterUnderTest(Path dir) throws IOException {
        this.dir = dir;
        Files.writeString(dir.resolve("scoria.yaml"), "dataDir: " + dir.resolve("data") + "\nnbd: {port: " + nbdPort
                + "}\niscsi: {port: 0}\napi: {port: " + apiPort + "}\ncache: {clusterCache: 64MiB, scoCache: 512MiB}\n");
        start();
    }

    private void start() throws IOException {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                dir.resolve("scoria.yaml").toString()), dir, dir.resolve("serve.log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort) && ManagedProcess.listening(nbdPort));
    }

    /** kill -9, then a start on the same data directory. */
    void restart() throws IOException {
        serve.kill9();
        start();
    }

    Result scoria(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + apiPort, "--token-file",
                dir.resolve("data").resolve("admin.token").toString()));
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /** Runs the CLI and fails unless it exits with 0; its standard output. */
    String ok(String... args) {
        Result r = scoria(args);
        if (r.code() != 0) {
            throw new AssertionError("scoria " + String.join(" ", args) + " exited with " + r.code() + ": " + r.err()
                    + "\nrouter log:\n" + serve.logTail(40));
        }
        return r.out();
    }

    String nbd(String export) {
        return "nbd://127.0.0.1:" + nbdPort + "/" + export;
    }

    /** {@code qemu-io} on the export with {@code -c} commands; fails on an error or a pattern mismatch. */
    String qemuIo(String export, String... commands) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", nbd(export)));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        Command c = Command.run(300, cmd.toArray(new String[0])).ok();
        if (c.output().contains("Pattern verification failed") || c.output().contains("failed:")) {
            throw new AssertionError(export + ": " + c.output());
        }
        return c.output();
    }

    /** Copies the whole export to {@code file} with {@code nbdcopy}. */
    void copyOut(String export, Path file) throws IOException, InterruptedException {
        Files.deleteIfExists(file);
        Files.createFile(file);
        Command.run(300, "nbdcopy", nbd(export), file.toString()).ok();
    }

    /** Copies {@code file} onto the export with {@code nbdcopy}. */
    void copyIn(Path file, String export) throws IOException, InterruptedException {
        Command.run(300, "nbdcopy", file.toString(), nbd(export)).ok();
    }

    /** SHA-256 of the whole export as {@code nbdcopy} reads it. */
    String sha256(String export) throws Exception {
        Path f = dir.resolve(export + ".img");
        copyOut(export, f);
        return sha256(f);
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Override
    public void close() {
        if (serve != null) {
            serve.close();
        }
    }
}
