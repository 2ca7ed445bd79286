package io.scoria.it.vdi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hydrate and flatten against {@code scoria serve} with real clients: a template filled by
 * {@code nbdcopy}, a clone with its own writes, {@code clone hydrate} (a job) while {@code qemu-io}
 * writes into the clone, {@code clone flatten}, deleting the template, and every byte of the clone
 * compared (SHA-256 of an {@code nbdcopy} of it) with what it held, also after a kill -9 and restart.
 */
class HydrateFlattenIT {
    private static final int MIB = 1 << 20;
    @TempDir
    Path dir;

    @Test
    void hydrateFlattenDeleteTheTemplateAndEveryByteStays() throws Exception {
        try (RouterUnderTest router = new RouterUnderTest(dir)) {
            router.ok("volume", "create", "gold", "--size", "64MiB");
            Path image = dir.resolve("gold-source.img");
            byte[] data = new byte[64 * MIB];
            Random r = new Random(42);
            byte[] part = new byte[40 * MIB];
            r.nextBytes(part);
            System.arraycopy(part, 0, data, 0, part.length); // the last 24 MiB stay zeros
            Files.write(image, data);
            router.copyIn(image, "gold");
            router.ok("template", "create", "gold");
            assertTrue(router.ok("clone", "create", "gold", "desk").contains("clone of gold@"));
            router.qemuIo("desk", "write -P 0x31 4M 1M", "write -P 0x32 50M 64k");
            Path expected = dir.resolve("expected.img");
            router.copyOut("desk", expected);
            assertTrue(router.ok("volume", "list").lines().anyMatch(l -> l.startsWith("desk ") && l.contains("THIN")));

            // 64 MiB at 8 MiB/s: the job runs for seconds, while a client writes into the clone
            String started = router.ok("clone", "hydrate", "desk", "--rate", "8MiB");
            String job = started.substring(started.indexOf("started job ") + 12).split(" ")[0];
            router.qemuIo("desk", "write -P 0x77 20M 1M", "write -P 0x78 60M 4k");
            try (RandomAccessFile f = new RandomAccessFile(expected.toFile(), "rw")) {
                byte[] a = new byte[MIB];
                Arrays.fill(a, (byte) 0x77);
                f.seek(20L * MIB);
                f.write(a);
                byte[] b = new byte[4096];
                Arrays.fill(b, (byte) 0x78);
                f.seek(60L * MIB);
                f.write(b);
            }
            String want = RouterUnderTest.sha256(expected);
            String shown = router.ok("job", "show", "--wait", job);
            assertTrue(shown.toLowerCase(java.util.Locale.ROOT).contains("succeeded"), shown);
            assertTrue(router.ok("volume", "list").lines().anyMatch(l -> l.startsWith("desk ") && l.contains("INDEPENDENT")),
                    router.ok("volume", "list"));
            assertEquals(want, router.sha256("desk"), "hydration changed no byte, the client's writes won");

            RouterUnderTest.Result refused = router.scoria("volume", "delete", "gold");
            assertNotEquals(0, refused.code());
            assertTrue(refused.err().contains("flatten"), refused.err());

            assertFalse(router.ok("clone", "flatten", "desk").contains("clone of"));
            router.ok("volume", "delete", "gold");
            assertFalse(router.ok("volume", "list").contains("gold"));
            assertEquals(want, router.sha256("desk"), "every byte of the flattened clone, the template deleted");

            router.restart();
            assertFalse(router.ok("volume", "list").contains("gold"));
            assertEquals(want, router.sha256("desk"), "every byte after kill -9 and a restart");
            router.qemuIo("desk", "read -P 0x77 20M 1M", "read -P 0x31 4M 1M", "read -P 0 40M 1M");
        }
    }
}
