package io.scoria.it.swift;

import io.scoria.it.harness.RouterProcess;
import io.scoria.it.harness.SwiftAllInOne;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scoria serve} on OpenStack Swift's native API (a Swift all-in-one started by the test,
 * TempAuth), end to end: fio writes 4 KiB random blocks with CRC32C verify headers through NBD
 * and reads them back, a snapshot puts everything on Swift, and a router started on a new, empty
 * data dir (so every read is a Swift GET) finds the volume and verifies every block again.
 */
class SwiftRouterIT {
    private static SwiftAllInOne swift;

    @TempDir
    Path dir;
    private RouterProcess router;

    @BeforeAll
    static void startSwift() throws Exception {
        swift = SwiftAllInOne.start();
    }

    @AfterAll
    static void stopSwift() {
        if (swift != null) {
            swift.close();
        }
    }

    @AfterEach
    void stopRouter() {
        if (router != null) {
            router.close();
        }
    }

    private String backend() {
        return "{type: swift, swift: {authUrl: " + swift.authUrl() + ", user: " + SwiftAllInOne.USER + ", key: "
                + SwiftAllInOne.KEY + "}}";
    }

    /** fio over NBD: 24 MiB of 4 KiB random writes with verify headers, then their check (or the check alone). */
    private void fio(boolean verifyOnly) throws Exception {
        Command c = Command.run(600, "fio", "--name=swift", "--ioengine=nbd", "--uri=" + router.nbd("vm-swift"),
                "--rw=randwrite", "--bs=4k", "--iodepth=16", "--size=24M", "--verify=crc32c", "--verify_fatal=1",
                "--randrepeat=1", "--verify_state_save=0", verifyOnly ? "--verify_only" : "--do_verify=1").ok();
        assertFalse(c.output().contains("verify: bad"), c.output());
        assertTrue(c.output().contains("err= 0"), c.output());
    }

    @Test
    void aVolumeWrittenOnSwiftReadsBackFromANewDataDir() throws Exception {
        router = RouterProcess.start(dir, "data1", backend());
        router.ok("volume", "create", "vm-swift", "--size", "64MiB");
        fio(false);
        router.ok("snapshot", "create", "vm-swift", "written"); // rolls the TLog: everything goes to Swift
        router.awaitUploads(Duration.ofMinutes(3));
        router.close();
        assertFalse(router.process().isAlive());

        router = RouterProcess.start(dir, "data2", backend()); // nothing local: every read is a Swift GET
        String list = router.ok("volume", "list");
        assertTrue(list.contains("vm-swift"), list);
        assertTrue(router.ok("snapshot", "list", "vm-swift").contains("written"));
        fio(true);
    }
}
