package io.scoria.it.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.nbd.NbdServer;
import io.scoria.accelerator.nbd.NbdServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real NBD clients (libnbd's nbdinfo, qemu-img, qemu-io, fio's nbd engine) against an
 * in-process {@link NbdServer}.
 */
class NbdClientsIT {
    static final long SIZE = 256L << 20;
    static VolumeService service;
    static NbdServer server;
    static String base;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        service = ItVolumes.newService(tmp);
        service.create("vm1", VolumeSpec.ofSize(SIZE));
        service.create("fio", VolumeSpec.ofSize(SIZE));
        service.create("gold", VolumeSpec.ofSize(16L << 20));
        service.makeTemplate("gold");
        server = new NbdServer(NbdServerConfig.loopback(0), service, new SimpleMeterRegistry());
        base = "nbd://127.0.0.1:" + server.port() + "/";
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void nbdinfoShowsTheExportSizeAndFlags() throws Exception {
        String json = Command.run(60, "nbdinfo", "--json", base + "vm1").ok().output();
        assertTrue(json.contains("\"export-name\": \"vm1\""), json);
        assertTrue(json.contains("\"export-size\": " + SIZE), json);
        assertTrue(json.contains("\"is_read_only\": false"), json);
        assertTrue(json.contains("\"can_flush\": true"), json);
        assertTrue(json.contains("\"can_fua\": true"), json);
        assertTrue(json.contains("\"can_trim\": true"), json);
        assertTrue(json.contains("\"can_zero\": true"), json);
        assertTrue(json.contains("\"can_multi_conn\": true"), json);
        assertTrue(json.contains("\"block_size_preferred\": 4096"), json);
        String gold = Command.run(60, "nbdinfo", "--json", base + "gold").ok().output();
        assertTrue(gold.contains("\"is_read_only\": true"), gold);
        String list = Command.run(60, "nbdinfo", "--list", "--json", "nbd://127.0.0.1:" + server.port()).ok()
                .output();
        assertTrue(list.contains("\"vm1\"") && list.contains("\"gold\"") && list.contains("\"fio\""), list);
    }

    @Test
    void qemuImgInfo() throws Exception {
        String out = Command.run(60, "qemu-img", "info", base + "vm1").ok().output();
        assertTrue(out.contains("virtual size: 256 MiB (" + SIZE + " bytes)"), out);
        assertTrue(out.contains("file format: raw"), out);
    }

    @Test
    void qemuIoWritesReadsPatternsAndDiscards() throws Exception {
        String uri = base + "vm1";
        String out = Command.run(120, "qemu-io", "-f", "raw", uri,
                "-c", "write -P 0xab 0 1M",
                "-c", "write -P 0xcd 1M 4k",
                "-c", "write -P 0x11 5000 3000",
                "-c", "read -P 0xab 1044480 4k",
                "-c", "read -P 0xcd 1M 4k",
                "-c", "read -P 0x11 5000 3000",
                "-c", "discard 64k 64k",
                "-c", "read -P 0 64k 64k",
                "-c", "write -z 256k 128k",
                "-c", "read -P 0 256k 128k",
                "-c", "flush").ok().output();
        assertFalse(out.contains("Pattern verification failed"), out);
        assertFalse(out.toLowerCase().contains("error"), out);
        // what qemu-io wrote is in the volume, byte for byte
        Volume v = service.open("vm1");
        ByteBuffer b = ByteBuffer.allocate(1 << 20);
        v.read(1 << 20, b.limit(4096));
        for (int i = 0; i < 4096; i++) {
            assertEquals((byte) 0xcd, b.get(i));
        }
        b.clear();
        v.read(0, b);
        for (int i = 0; i < 1 << 20; i++) {
            byte expect = (i >= 65536 && i < 131072) || (i >= 262144 && i < 393216) ? 0
                    : (i >= 5000 && i < 8000) ? (byte) 0x11 : (byte) 0xab;
            if (b.get(i) != expect) {
                fail("byte " + i + " is " + b.get(i) + ", expected " + expect);
            }
        }
        // a wrong pattern is detected, so the checks above can fail
        Command bad = Command.run(60, "qemu-io", "-f", "raw", uri, "-c", "read -P 0x77 1M 4k");
        assertTrue(bad.output().contains("Pattern verification failed"), bad.output());
    }

    @Test
    void qemuIoCannotWriteATemplate() throws Exception {
        Command out = Command.run(60, "qemu-io", "-f", "raw", base + "gold", "-c", "write -P 1 0 4k");
        assertTrue(out.exitCode() != 0 || out.output().toLowerCase().contains("read-only")
                || out.output().contains("Operation not permitted"), out.output());
    }

    @Test
    void fioRandomWriteThenVerify4kAnd64kIodepth32TwoConnections() throws Exception {
        for (String bs : new String[]{"4k", "64k"}) {
            Command fio = Command.run(600, "fio", "--name=verify-" + bs, "--ioengine=nbd",
                    "--uri=" + base + "fio", "--rw=randwrite", "--bs=" + bs, "--iodepth=32", "--numjobs=2",
                    "--size=64M", "--offset_increment=64M", "--verify=crc32c", "--do_verify=1",
                    "--verify_fatal=1", "--verify_state_save=0", "--randrepeat=1", "--group_reporting",
                    "--output-format=normal").ok();
            String out = fio.output();
            assertFalse(out.contains("verify: bad"), out);
            Matcher m = Pattern.compile("err=\\s*(\\d+)").matcher(out);
            assertTrue(m.find(), out);
            assertEquals("0", m.group(1), out);
            assertTrue(out.contains("write:"), out);
            assertTrue(out.contains("read:"), "the verify pass read the data back:\n" + out);
        }
    }
}
