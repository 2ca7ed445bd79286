package io.scoria.it.control;

import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.TestPki;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hosts and attachments against the real {@code scoria serve}, set through the CLI, with real clients:
 * qemu-io and nbdinfo presenting TLS client certificates (a host pinned by its certificate, a host by
 * its certificate's CN), libiscsi's iscsi-ls/iscsi-inq with initiator names and CHAP; a volume without
 * attachments keeps the static policy; exclusive attachments refuse a second host; read-only
 * attachments export read-only; a detach closes the host's open session. And wipe on release: a
 * volume written with a known pattern over NBD is deleted; no file of the router's flash holds the
 * pattern, {@code scoria volume wipe-check} finds nothing left, and later volumes, which reuse the
 * recycled SCO files and cache slots, read back (over NBD) none of it.
 */
class HostsAndWipeIT {
    private static final String PREFIX = "iqn.2026-12.io.scoria:";
    private static final String INITIATOR = "iqn.2026-12.io.scoria.test:init1";
    private static final String CHAP = "host-chap-secret-1";

    @TempDir
    Path dir;
    ManagedProcess serve;
    int apiPort;
    int nbdPort;
    int iscsiPort;
    Path pki;

    @AfterEach
    void stop() {
        if (serve != null) {
            serve.close();
        }
    }

    private void start(String cache) throws Exception {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        pki = TestPki.create(dir.resolve("pki"), List.of("host-a", "host-b"));
        apiPort = ManagedProcess.freePort();
        nbdPort = ManagedProcess.freePort();
        iscsiPort = ManagedProcess.freePort();
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nnbd: {port: " + nbdPort + ", tlsCertificate: "
                + pki.resolve("server-cert.pem") + ", tlsKey: " + pki.resolve("server-key.pem") + ", tlsClientCa: "
                + pki.resolve("ca-cert.pem") + "}\niscsi: {port: " + iscsiPort + "}\napi: {port: " + apiPort + "}\n"
                + "cache: " + cache + "\n");
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort) && ManagedProcess.listening(iscsiPort)
                && Files.exists(dir.resolve("data").resolve("admin.token")));
    }

    /** Runs the CLI against the router; returns exit code and output (stdout, then stderr). */
    private Command cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + apiPort, "--token-file",
                dir.resolve("data").resolve("admin.token").toString()));
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        return new Command(full, code, out + err.toString());
    }

    private String scoria(String... args) {
        return cli(args).ok().output();
    }

    private Command qemuIo(String host, String volume, String... commands) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-io"));
        if (host != null) {
            argv.addAll(List.of("--object", "tls-creds-x509,id=tls0,dir=" + TestPki.clientDir(pki, host) + ",endpoint=client",
                    "--image-opts", "driver=nbd,host=127.0.0.1,port=" + nbdPort + ",export=" + volume + ",tls-creds=tls0"));
        } else {
            argv.addAll(List.of("-f", "raw", "nbd://127.0.0.1:" + nbdPort + "/" + volume));
        }
        for (String c : commands) {
            argv.addAll(List.of("-c", c));
        }
        return Command.run(120, argv.toArray(new String[0]));
    }

    private static void refused(Command c, String why) {
        assertTrue(c.exitCode() != 0 || c.output().contains("failed") || c.output().contains("error"),
                why + ": " + c.output());
    }

    @Test
    void attachedVolumesAreServedOnlyToTheirHosts() throws Exception {
        start("{clusterCache: 32MiB, scoCache: 256MiB}");
        for (String v : List.of("vm1", "vm2", "vm3", "free")) {
            scoria("volume", "create", v, "--size", "64MiB");
        }
        // no attachment: the static policy (open on loopback) still serves any client
        String plain = qemuIo(null, "vm1", "write -P 0x11 0 64k", "read -P 0x11 0 64k").ok().output();
        assertFalse(plain.contains("Pattern verification failed"), plain);

        scoria("host", "add", "host-a", "--cert", pki.resolve("host-a-cert.pem").toString());
        scoria("host", "add", "host-b", "--cert-identity", "host-b");
        Files.writeString(dir.resolve("chap.secret"), CHAP + "\n");
        scoria("host", "add", "init1", "--address", "127.0.0.1/32", "--iqn", INITIATOR, "--chap-secret-file",
                dir.resolve("chap.secret").toString());
        String hosts = scoria("host", "list");
        assertTrue(hosts.contains("host-a (certificate CN=host-a"), hosts);
        assertTrue(hosts.contains("iqn " + INITIATOR + ", CHAP"), hosts);
        assertFalse(hosts.contains(CHAP), "the CHAP secret is never shown: " + hosts);
        assertFalse(Files.readString(dir.resolve("serve.log")).contains(CHAP), "nor logged");
        Command bad = cli("host", "add", "bad", "--address", "10.0.0.0/99");
        assertEquals(1, bad.exitCode(), bad.output());
        assertTrue(bad.output().contains("address"), bad.output());

        // vm1 attached to host-a (pinned certificate): host-a only
        scoria("volume", "attach", "vm1", "--host", "host-a");
        String a = qemuIo("host-a", "vm1", "read -P 0x11 0 64k", "write -P 0x22 0 64k", "read -P 0x22 0 64k")
                .ok().output();
        assertFalse(a.contains("Pattern verification failed") || a.contains("failed"), a);
        refused(qemuIo("host-b", "vm1", "read 0 4k"), "another host's certificate");
        refused(qemuIo(null, "vm1", "read 0 4k"), "a client without certificate");
        Command exclusive = cli("volume", "attach", "vm1", "--host", "host-b");
        assertEquals(1, exclusive.exitCode(), "exclusive by default: " + exclusive.output());
        assertTrue(exclusive.output().contains("--shared"), exclusive.output());
        assertEquals(0, qemuIo(null, "free", "read 0 4k").exitCode(), "an unattached volume keeps the static policy");

        // vm2 attached read-only to host-b (certificate CN): reads pass, the export is read-only
        scoria("volume", "attach", "vm2", "--host", "host-b", "--mode", "ro");
        String info = Command.run(60, "nbdinfo", "--json", "nbds://127.0.0.1:" + nbdPort + "/vm2?tls-certificates="
                + pki.resolve("client-host-b")).ok().output();
        assertTrue(info.contains("\"is_read_only\": true"), info);
        Command write = qemuIo("host-b", "vm2", "write -P 0x33 0 4k");
        assertTrue(write.exitCode() != 0 || write.output().contains("failed"), "a read-only attachment refuses writes: "
                + write.output());

        // shared: both attachments must say so
        scoria("volume", "attach", "vm3", "--host", "host-a", "--shared");
        scoria("volume", "attach", "vm3", "--host", "host-b", "--shared");
        assertEquals(0, qemuIo("host-a", "vm3", "write -P 0x44 0 4k").exitCode());
        String b = qemuIo("host-b", "vm3", "read -P 0x44 0 4k").ok().output();
        assertFalse(b.contains("Pattern verification failed"), b);

        // detach closes the host's open session: qemu-io keeps its connection between commands
        Process session = new ProcessBuilder("qemu-io", "--object", "tls-creds-x509,id=tls0,dir="
                + pki.resolve("client-host-a") + ",endpoint=client", "--image-opts",
                "driver=nbd,host=127.0.0.1,port=" + nbdPort + ",export=vm1,tls-creds=tls0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("session.out").toFile()).start();
        Writer in = new OutputStreamWriter(session.getOutputStream(), StandardCharsets.UTF_8);
        in.write("read -P 0x22 0 4k\n");
        in.flush();
        awaitOutput(dir.resolve("session.out"), "read 4096/4096");
        String detached = scoria("volume", "detach", "vm1", "--host", "host-a");
        assertTrue(detached.contains("(1 open sessions closed)"), detached);
        in.write("read -P 0x22 0 4k\n");
        in.flush();
        awaitOutput(dir.resolve("session.out"), "read failed");
        session.destroy();
        assertTrue(session.waitFor(60, TimeUnit.SECONDS));
        String after = Files.readString(dir.resolve("session.out"));
        assertTrue(after.indexOf("read 4096/4096") == after.lastIndexOf("read 4096/4096"),
                "the read after the detach does not succeed: " + after);
        // without attachments vm1 is back to the static policy
        assertEquals(0, qemuIo(null, "vm1", "read -P 0x22 0 4k").exitCode());

        // iSCSI: vm2 is attached to host-b only (no IQN), so the initiator cannot use it; attach it to init1 too
        String portal = "iscsi://127.0.0.1:" + iscsiPort;
        String chapPortal = "iscsi://" + INITIATOR + "%" + CHAP + "@127.0.0.1:" + iscsiPort;
        Command foreign = Command.run(60, "iscsi-inq", "-i", INITIATOR, chapPortal + "/" + PREFIX + "vm2/0");
        assertNotEquals(0, foreign.exitCode(), "an initiator not attached is refused: " + foreign.output());
        scoria("volume", "attach", "free", "--host", "init1");
        String inq = Command.run(60, "iscsi-inq", "-i", INITIATOR, chapPortal + "/" + PREFIX + "free/0").ok().output();
        assertTrue(inq.contains("Vendor:SCORIA"), inq);
        Command noChap = Command.run(60, "iscsi-inq", "-i", INITIATOR, portal + "/" + PREFIX + "free/0");
        assertNotEquals(0, noChap.exitCode(), "the host's CHAP is required: " + noChap.output());
        Command other = Command.run(60, "iscsi-inq", "-i", "iqn.2026-12.io.scoria.test:other", chapPortal + "/" + PREFIX
                + "free/0");
        assertNotEquals(0, other.exitCode(), "another initiator is refused: " + other.output());
        String listed = Command.run(60, "iscsi-ls", "-i", "iqn.2026-12.io.scoria.test:other", portal).ok().output();
        assertFalse(listed.contains(PREFIX + "free"), "discovery hides volumes attached to other hosts: " + listed);
        assertTrue(listed.contains(PREFIX + "vm1"), listed);
        assertEquals(0, qemuIo(null, "free", "read 0 4k").exitCode(), "init1's address block admits it over NBD too");
    }

    @Test
    void aDeletedVolumeIsWipedAndLaterVolumesReadNoneOfIt() throws Exception {
        // a small SCO cache: uploaded SCOs are evicted and their files recycled for later volumes
        start("{clusterCache: 16MiB, scoCache: 64MiB}");
        byte[] pattern = "SCORIA-WIPE-ME!!".getBytes(StandardCharsets.US_ASCII);
        int size = 96 << 20; // more than the SCO cache holds
        byte[] secret = new byte[size];
        for (int i = 0; i < size; i += pattern.length) {
            System.arraycopy(pattern, 0, secret, i, pattern.length);
        }
        for (int c = 0; c < size / 4096; c++) { // every cluster differs (no dedup), all hold the pattern
            java.nio.ByteBuffer.wrap(secret).putInt(c * 4096 + pattern.length, c);
        }
        Path secretFile = dir.resolve("secret.raw");
        Files.write(secretFile, secret);
        scoria("volume", "create", "secret", "--size", "128MiB");
        Command.run(300, "nbdcopy", secretFile.toString(), "nbd://127.0.0.1:" + nbdPort + "/secret").ok();
        Command.run(120, "nbdcopy", "nbd://127.0.0.1:" + nbdPort + "/secret", dir.resolve("back.raw").toString()).ok();
        assertTrue(indexOf(Files.readAllBytes(dir.resolve("back.raw")), pattern) >= 0, "the pattern is readable before");
        Files.delete(dir.resolve("back.raw"));
        assertFalse(flashFilesWith(pattern).isEmpty(), "the test sees the pattern on flash before the delete");

        scoria("volume", "delete", "secret");
        String check = scoria("volume", "wipe-check", "secret");
        assertTrue(check.contains("secret: wiped"), check);
        assertEquals(List.of(), flashFilesWith(pattern), "no file under the data directory holds the deleted bytes");
        Command live = cli("volume", "wipe-check", "free-name-never-made");
        assertEquals(0, live.exitCode(), live.output());

        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        byte[] noise = new byte[48 << 20];
        for (int i = 0; i < 3; i++) {
            String name = "later" + i;
            scoria("volume", "create", name, "--size", "128MiB");
            r.nextBytes(noise);
            Files.write(dir.resolve("noise.raw"), noise);
            Command.run(300, "nbdcopy", dir.resolve("noise.raw").toString(), "nbd://127.0.0.1:" + nbdPort + "/" + name)
                    .ok();
            Path read = dir.resolve(name + ".raw");
            Command.run(300, "nbdcopy", "nbd://127.0.0.1:" + nbdPort + "/" + name, read.toString()).ok();
            byte[] all = Files.readAllBytes(read);
            assertEquals(128 << 20, all.length);
            assertEquals(-1, indexOf(all, pattern), "volume " + name + " reads none of the deleted volume's bytes");
            Files.delete(read);
        }
        assertEquals(List.of(), flashFilesWith(pattern), "nor any file on flash after the reuse");
        Command exists = cli("volume", "wipe-check", "later0");
        assertEquals(1, exists.exitCode(), "a live volume is refused: " + exists.output());
    }

    /** Files under the router's data directory holding {@code pattern} (the backend is an fs directory in it). */
    private List<Path> flashFilesWith(byte[] pattern) throws IOException {
        List<Path> found = new ArrayList<>();
        try (var walk = Files.walk(dir.resolve("data"))) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                try {
                    if (Files.size(p) < (512 << 20) && indexOf(Files.readAllBytes(p), pattern) >= 0) {
                        found.add(p);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // deleted while walking
                }
            }
        }
        return found;
    }

    private static int indexOf(byte[] a, byte[] p) {
        outer:
        for (int i = 0; i + p.length <= a.length; i++) {
            for (int j = 0; j < p.length; j++) {
                if (a[i + j] != p[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void awaitOutput(Path file, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file) || !Files.readString(file).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "no '" + text + "' in " + (Files.exists(file) ? Files.readString(file) : ""));
            Thread.sleep(100);
        }
    }
}
