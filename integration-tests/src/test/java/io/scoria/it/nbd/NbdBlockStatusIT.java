package io.scoria.it.nbd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What hypervisor admins' tools see through {@code base:allocation}, snapshot exports and resize,
 * with real clients (qemu-img map, nbdinfo --map, nbdcopy) against an in-process {@link NbdServer}
 * on the real engine.
 */
class NbdBlockStatusIT {
    static final int MIB = 1 << 20;
    static VolumeService service;
    static NbdServer server;
    static SimpleMeterRegistry registry;
    static String base;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        service = ItVolumes.newService(tmp);
        registry = new SimpleMeterRegistry();
        server = new NbdServer(NbdServerConfig.loopback(0), service, registry);
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

    static void write(Volume v, long offset, int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        for (int i = 0; i < length; i += 4096) {
            b[i] |= 1;
        }
        for (int done = 0; done < length; done += Math.min(16 * MIB, length - done)) {
            v.write(offset + done, ByteBuffer.wrap(b, done, Math.min(16 * MIB, length - done)), false);
        }
    }

    /** qemu-img map's JSON as "start+length:data" entries (adjacent entries of the same kind merged). */
    static List<String> qemuMap(String uri) throws Exception {
        JsonNode map = new ObjectMapper().readTree(Command.run(120, "qemu-img", "map", "--output=json", "-f", "raw", uri)
                .ok().output());
        List<String> out = new ArrayList<>();
        long start = -1;
        long length = 0;
        boolean data = false;
        for (JsonNode e : map) {
            boolean d = e.get("data").asBoolean();
            if (start >= 0 && d == data) {
                length += e.get("length").asLong();
                continue;
            }
            if (start >= 0) {
                out.add(start + "+" + length + ":" + data);
            }
            start = e.get("start").asLong();
            length = e.get("length").asLong();
            data = d;
        }
        out.add(start + "+" + length + ":" + data);
        return out;
    }

    @Test
    void qemuImgMapOfAHalfWrittenVolumeAndOfAClone() throws Exception {
        service.create("half", VolumeSpec.ofSize(64L * MIB));
        Volume v = service.open("half");
        write(v, 0, 16 * MIB, 1);
        write(v, 32L * MIB, 16 * MIB, 2);
        v.trim(8L * MIB, 4 * MIB);
        v.writeZeroes(40L * MIB, MIB, false);
        assertEquals(List.of("0+" + 8 * MIB + ":true", 8 * MIB + "+" + 4 * MIB + ":false", 12 * MIB + "+" + 4 * MIB + ":true",
                16 * MIB + "+" + 16 * MIB + ":false", 32 * MIB + "+" + 8 * MIB + ":true", 40 * MIB + "+" + MIB + ":false",
                41 * MIB + "+" + 7 * MIB + ":true", 48 * MIB + "+" + 16 * MIB + ":false"), qemuMap(base + "half"));

        service.create("gold", VolumeSpec.ofSize(32L * MIB));
        write(service.open("gold"), 0, 8 * MIB, 3);
        service.makeTemplate("gold");
        service.clone("gold", null, "desk");
        write(service.open("desk"), 20L * MIB, MIB, 4);
        assertEquals(List.of("0+" + 8 * MIB + ":true", 8 * MIB + "+" + 12 * MIB + ":false", 20 * MIB + "+" + MIB + ":true",
                21 * MIB + "+" + 11 * MIB + ":false"), qemuMap(base + "desk"), "the template's ranges are the clone's data");

        String nbdinfo = Command.run(120, "nbdinfo", "--map", base + "desk").ok().output();
        assertTrue(nbdinfo.matches("(?s)\\s*0\\s+" + 8 * MIB + "\\s+0\\s+data.*"), nbdinfo);
        assertTrue(nbdinfo.contains(8 * MIB + "  " + 12 * MIB + "    3  hole,zero")
                || nbdinfo.replaceAll("\\s+", " ").contains(8 * MIB + " " + 12 * MIB + " 3 hole,zero"), nbdinfo);
    }

    @Test
    void nbdcopyOfASparseVolumeMovesAboutWhatWasWritten() throws Exception {
        long size = 10L << 30;
        service.create("sparse", VolumeSpec.ofSize(size));
        Volume v = service.open("sparse");
        for (int i = 0; i < 10; i++) { // 100 MiB in 10 pieces spread over the disk
            write(v, i * (1L << 30) + 7L * MIB, 10 * MIB, 10 + i);
        }
        double before = readBytes();
        Path out = tmp.resolve("sparse.img");
        long t0 = System.nanoTime();
        Command.run(600, "nbdcopy", base + "sparse", out.toString()).ok();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double moved = readBytes() - before;
        System.out.printf("nbdcopy of a 10 GiB volume with 100 MiB written: %.1f MiB read from the server in %.1f s%n",
                moved / MIB, seconds);
        assertTrue(moved >= 100.0 * MIB && moved <= 110.0 * MIB, "read " + moved / MIB + " MiB");
        assertEquals(size, Files.size(out));
        byte[] got = new byte[10 * MIB];
        try (var ch = java.nio.channels.FileChannel.open(out)) {
            ch.read(ByteBuffer.wrap(got), 3 * (1L << 30) + 7L * MIB);
        }
        ByteBuffer expect = ByteBuffer.allocate(10 * MIB);
        v.read(3 * (1L << 30) + 7L * MIB, expect);
        assertArrayEquals(expect.array(), got, "the copy holds what was written");
    }

    private static double readBytes() {
        var c = registry.find("scoria.nbd.bytes").tag("op", "read").counter();
        assertNotNull(c, "the server counts bytes read");
        return c.count();
    }

    @Test
    void aSnapshotExportServesTheSnapshotReadOnly() throws Exception {
        service.create("backup", VolumeSpec.ofSize(16L * MIB));
        Volume v = service.open("backup");
        write(v, 0, 2 * MIB, 20);
        v.snapshot("nightly");
        write(v, 0, 2 * MIB, 21);
        String uri = base + "backup@nightly";
        String json = Command.run(60, "nbdinfo", "--json", uri).ok().output();
        assertTrue(json.contains("\"is_read_only\": true"), json);
        assertTrue(json.contains("\"export-size\": " + 16L * MIB), json);
        String content = Command.run(60, "nbdinfo", "--content", uri).ok().output();
        assertFalse(content.isBlank(), content);
        String map = Command.run(60, "nbdinfo", "--map", uri).ok().output().replaceAll("\\s+", " ");
        assertTrue(map.contains("0 " + 2 * MIB + " 0 data") && map.contains(2 * MIB + " " + 14 * MIB + " 3 hole,zero"), map);
        Path copy = tmp.resolve("nightly.img");
        Command.run(120, "nbdcopy", uri, copy.toString()).ok();
        byte[] expect = new byte[2 * MIB];
        new Random(20).nextBytes(expect);
        for (int i = 0; i < expect.length; i += 4096) {
            expect[i] |= 1;
        }
        byte[] got = java.util.Arrays.copyOf(Files.readAllBytes(copy), 2 * MIB);
        assertArrayEquals(expect, got, "the snapshot's bytes, not the later write");
        Command refused = Command.run(60, "qemu-io", "-f", "raw", uri, "-c", "write -P 1 0 4k");
        assertTrue(refused.output().toLowerCase().contains("read-only") || refused.output().contains("Operation not permitted")
                || refused.exitCode() != 0, refused.output());
        ByteBuffer still = ByteBuffer.allocate(4096);
        v.read(0, still);
        assertNotEquals(1, still.get(0), "the volume is untouched");
    }

    /**
     * Incremental backup: the clusters changed between two snapshots, as the NBD context
     * {@code qemu:dirty-bitmap:s1} of the export {@code VOL@s2} (read by nbdinfo and by qemu-img with
     * QEMU's x-dirty-bitmap option, which shows dirty runs as "data": false) and through the engine.
     */
    @Test
    void aDirtyBitmapBetweenTwoSnapshotsIsReadByNbdinfoAndQemuImg() throws Exception {
        service.create("incr", VolumeSpec.ofSize(64L * MIB));
        Volume v = service.open("incr");
        write(v, 0, 32 * MIB, 30);
        v.snapshot("s1");
        write(v, 4L * MIB, 2 * MIB, 31);
        write(v, 40L * MIB, MIB, 32);
        v.trim(20L * MIB, MIB);
        v.snapshot("s2");
        write(v, 60L * MIB, MIB, 33); // after s2: not in the bitmap
        String uri = base + "incr@s2";
        String map = Command.run(60, "nbdinfo", "--map=qemu:dirty-bitmap:s1", uri).ok().output().replaceAll("\\s+", " ").trim();
        assertEquals("0 " + 4 * MIB + " 0 clean " + 4 * MIB + " " + 2 * MIB + " 1 dirty " + 6 * MIB + " " + 14 * MIB
                + " 0 clean " + 20 * MIB + " " + MIB + " 1 dirty " + 21 * MIB + " " + 19 * MIB + " 0 clean " + 40 * MIB
                + " " + MIB + " 1 dirty " + 41 * MIB + " " + 23 * MIB + " 0 clean", map);
        String opts = "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + server.port()
                + ",export=incr@s2,x-dirty-bitmap=qemu:dirty-bitmap:s1";
        JsonNode qmap = new ObjectMapper().readTree(Command.run(120, "qemu-img", "map", "--output=json", "--image-opts", opts)
                .ok().output());
        long dirty = 0;
        for (JsonNode e : qmap) {
            if (!e.get("data").asBoolean()) {
                dirty += e.get("length").asLong();
            }
        }
        assertEquals(4L * MIB, dirty, "qemu-img sees 2 + 1 + 1 MiB dirty: " + qmap);
        var changes = service.changes("incr", "s1", "s2", 0, 64L * MIB, 100);
        assertEquals(3, changes.ranges().size(), changes.toString());
    }

    @Test
    void resizeThenReconnectShowsTheNewSize() throws Exception {
        service.create("grow", VolumeSpec.ofSize(32L * MIB));
        write(service.open("grow"), 0, MIB, 30);
        assertTrue(Command.run(60, "qemu-img", "info", base + "grow").ok().output().contains("(" + 32L * MIB + " bytes)"));
        service.resize("grow", 40L << 30, false);
        String after = Command.run(60, "qemu-img", "info", base + "grow").ok().output();
        assertTrue(after.contains("virtual size: 40 GiB"), after);
        Command.run(60, "qemu-io", "-f", "raw", base + "grow", "-c", "write -P 0x5a 39G 64k", "-c", "read -P 0x5a 39G 64k")
                .ok();
        List<String> map = qemuMap(base + "grow");
        assertEquals("0+" + MIB + ":true", map.get(0));
        assertTrue(map.contains((39L << 30) + "+65536:true"), map.toString());
    }
}
