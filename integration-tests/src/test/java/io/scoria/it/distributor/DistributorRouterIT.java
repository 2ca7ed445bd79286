package io.scoria.it.distributor;

import io.scoria.it.harness.RouterProcess;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scoria serve} on a 4+2 distributor over six s3proxy processes, end to end: a volume
 * written through NBD (qemu-io patterns), two stores wiped, the router restarted on a new data
 * dir (so every read comes from the backend) reads everything byte-exact and reports the
 * degradation, {@code scoria distributor repair --wait} refills the wiped stores, the status shows
 * full redundancy, then two other stores are killed and a router started on another new data
 * dir still reads everything.
 */
class DistributorRouterIT {
    private static final List<S3ProxyServer> stores = new ArrayList<>();
    /** Offset and qemu-io pattern byte of each written region (2 MiB each, 1 MiB SCOs). */
    private static final int[][] REGIONS = {{0, 0x11}, {4, 0x22}, {8, 0x33}, {14, 0x44}, {20, 0x55}, {30, 0x66}};

    @TempDir
    Path dir;
    private RouterProcess router;

    @BeforeAll
    static void startStores() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<S3ProxyServer>> starting = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String name = "router-dist" + i;
                starting.add(pool.submit(() -> S3ProxyServer.start(name)));
            }
            for (Future<S3ProxyServer> f : starting) {
                stores.add(f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @AfterAll
    static void stopStores() throws Exception {
        for (S3ProxyServer s : stores) {
            s.close();
        }
    }

    @AfterEach
    void stopRouter() {
        if (router != null) {
            router.close();
        }
    }

    private String backend() {
        StringBuilder b = new StringBuilder("{type: distributor, distributor: {policy: 4+2, minFragments: 4, stores: [");
        for (int i = 0; i < stores.size(); i++) {
            b.append(i == 0 ? "" : ", ").append("{name: s").append(i).append(", type: s3, s3: {endpoint: ")
                    .append(stores.get(i).endpoint()).append(", accessKey: ").append(S3ProxyServer.ACCESS_KEY)
                    .append(", secretKey: ").append(S3ProxyServer.SECRET_KEY).append("}}");
        }
        return b.append("]}}").toString();
    }

    private void startRouter(String data) throws Exception {
        router = RouterProcess.start(dir, data, backend());
    }

    private void stopRouterCleanly() {
        router.close();
        assertFalse(router.process().isAlive());
        router = null;
    }

    private String ok(String... args) {
        return router.ok(args);
    }

    private void qemuIo(boolean readOnly, String... commands) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        if (readOnly) {
            argv.add("-r");
        }
        argv.add(router.nbd("vm-dist"));
        for (String c : commands) {
            argv.add("-c");
            argv.add(c);
        }
        Command c = Command.run(300, argv.toArray(new String[0])).ok();
        assertFalse(c.output().contains("Pattern verification failed"), c.output());
    }

    private void awaitUploads() throws Exception {
        router.awaitUploads(Duration.ofMinutes(2));
    }

    private void readEverything() throws Exception {
        List<String> reads = new ArrayList<>();
        for (int[] r : REGIONS) {
            reads.add("read -P " + r[1] + " " + r[0] + "M 2M");
        }
        reads.add("read -P 0 2M 2M"); // never written: zeros
        qemuIo(true, reads.toArray(new String[0]));
    }

    @Test
    void wipedStoresAreReadAroundAndRepairedThenTwoOthersMayBeLost() throws Exception {
        startRouter("data1");
        ok("volume", "create", "vm-dist", "--size", "32MiB");
        List<String> writes = new ArrayList<>();
        for (int[] r : REGIONS) {
            writes.add("write -P " + r[1] + " " + r[0] + "M 2M");
        }
        writes.add("flush");
        qemuIo(false, writes.toArray(new String[0]));
        readEverything();
        ok("snapshot", "create", "vm-dist", "written"); // rolls the TLog: everything goes to the backend
        awaitUploads();
        String healthy = ok("distributor", "status");
        assertTrue(healthy.contains("full redundancy"), healthy);
        stopRouterCleanly();

        stores.get(1).wipe();
        stores.get(4).wipe();
        startRouter("data2"); // new local flash: every read comes from the distributor
        String degraded = ok("distributor", "status");
        assertTrue(degraded.contains("DEGRADED"), degraded);
        assertEquals(2, degraded.lines().filter(l -> l.matches("s[14] .* empty .*")).count(), degraded);
        readEverything();

        String repaired = ok("distributor", "repair", "--wait");
        assertTrue(repaired.contains("repair distributor succeeded"), repaired);
        assertTrue(repaired.matches("(?s).*repair done: \\d+ objects, [1-9]\\d* fragments missing, [1-9]\\d* rebuilt.*"), repaired);
        String full = ok("distributor", "status");
        assertTrue(full.contains("full redundancy"), full);
        assertTrue(ok("job", "list").contains("repair distributor succeeded"));
        stopRouterCleanly();

        stores.get(0).kill9();
        stores.get(2).kill9();
        startRouter("data3"); // starts with two stores unavailable
        readEverything();
        String twoDown = ok("distributor", "status");
        assertEquals(2, twoDown.lines().filter(l -> l.matches("s[02] .* unavailable .*")).count(), twoDown);
        assertTrue(twoDown.contains("DEGRADED"), twoDown);
        assertTrue(Files.readString(dir.resolve("data3-serve.log")).contains("is degraded"), "the router logs the degradation");
    }
}
