package io.scoria.it.vdi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A pool of desktops against {@code scoria serve} with a real client ({@code qemu-io}, {@code nbdcopy}):
 * create from a template snapshot, writes into two desktops, {@code pool reset} (the idle one starts over,
 * the attached one keeps its writes), detach (reset-on-detach), {@code pool recompose} onto a second
 * template version, and the pool definition after a kill -9 and restart.
 */
class PoolIT {
    @TempDir
    Path dir;

    @Test
    void createResetDetachRecompose() throws Exception {
        try (RouterUnderTest router = new RouterUnderTest(dir)) {
            router.ok("volume", "create", "gold", "--size", "16MiB");
            router.qemuIo("gold", "write -P 0x5a 0 16M");
            router.ok("snapshot", "create", "gold", "base");
            router.ok("template", "create", "gold");
            String created = router.ok("pool", "create", "desks", "--template", "gold", "--snapshot", "base", "--size", "3",
                    "--prefix", "desk-");
            assertTrue(created.contains("idle 3, in use 0, missing 0"), created);
            assertTrue(router.ok("pool", "status", "desks").contains("gold@base"));
            String goldSum = router.sha256("desk-3");

            router.qemuIo("desk-1", "write -P 0x11 0 1M");
            router.qemuIo("desk-2", "write -P 0x22 0 1M");
            router.ok("host", "add", "vdi-host", "--address", "127.0.0.1/32");
            router.ok("volume", "attach", "desk-2", "--host", "vdi-host");
            String reset = router.ok("pool", "reset", "desks");
            assertTrue(reset.contains("in use (left alone) 1: [\"desk-2\"]"), reset);
            assertEquals(goldSum, router.sha256("desk-1"), "the idle desktop starts over from the template");
            router.qemuIo("desk-2", "read -P 0x22 0 1M", "read -P 0x5a 1M 15M");

            router.ok("volume", "detach", "desk-2", "--host", "vdi-host");
            assertEquals(goldSum, router.sha256("desk-2"), "reset on detach");

            router.ok("volume", "create", "gold-v2", "--size", "16MiB");
            router.qemuIo("gold-v2", "write -P 0x66 0 16M");
            router.ok("template", "create", "gold-v2");
            String v2Sum = router.sha256("gold-v2");
            String recomposed = router.ok("pool", "recompose", "desks", "--template", "gold-v2");
            assertTrue(recomposed.contains("recreated 3"), recomposed);
            for (int i = 1; i <= 3; i++) {
                assertEquals(v2Sum, router.sha256("desk-" + i), "desk-" + i + " on the new template");
            }

            router.restart();
            String status = router.ok("pool", "status", "desks");
            assertTrue(status.contains("gold-v2@") && status.contains("idle 3") && !status.contains("stale)"), status);
            RouterUnderTest.Result persistentReset = router.scoria("pool", "create", "users", "--template", "gold-v2",
                    "--size", "1", "--prefix", "user-", "--policy", "persistent");
            assertEquals(0, persistentReset.code(), persistentReset.err());
            RouterUnderTest.Result refused = router.scoria("pool", "reset", "users");
            assertNotEquals(0, refused.code());
            assertTrue(refused.err().contains("persistent"), refused.err());
        }
    }
}
