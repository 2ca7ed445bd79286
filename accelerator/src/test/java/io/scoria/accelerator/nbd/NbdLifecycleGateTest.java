package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.control.HostRegistry;
import io.scoria.accelerator.control.ServingGate;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.control.VolumeState;
import io.scoria.accelerator.frontend.QosGates;
import io.scoria.accelerator.metrics.VolumeMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A real {@link NbdServer} behind the control plane's {@link ServingGate}: a volume whose delete or clone
 * set is under way (the lifecycle's crash-test pauses hold it in the middle) is refused with
 * NBD_REP_ERR_UNKNOWN and a message saying why and is not listed (NBD_OPT_LIST), and served (or gone) once the
 * operation ends.
 */
class NbdLifecycleGateTest {
    private static final long PAUSE_MILLIS = 1500;

    @TempDir
    Path dir;

    private static void until(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not reached in 10 s");
            Thread.sleep(5);
        }
    }

    /** The last reply to NBD_OPT_GO of {@code export}. */
    private static NbdTestClient.OptionReply go(NbdServer server, String export) throws Exception {
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            List<NbdTestClient.OptionReply> r = c.option(OPT_GO, NbdTestClient.infoPayload(export));
            return r.get(r.size() - 1);
        }
    }

    /** The export names NBD_OPT_LIST gives, sorted. */
    private static List<String> listed(NbdServer server) throws Exception {
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            return c.option(OPT_LIST, new byte[0]).stream().filter(r -> r.type() == REP_SERVER)
                    .map(r -> new String(r.data(), 4, r.data().length - 4, StandardCharsets.UTF_8)).sorted().toList();
        }
    }

    private static String message(NbdTestClient.OptionReply r) {
        return new String(r.data(), StandardCharsets.UTF_8);
    }

    @Test
    void volumesBeingCreatedOrDeletedAreRefusedWithTheReason() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HostRegistry hosts = HostRegistry.open(dir.resolve("hosts.json"));
        // the lifecycle pauses on each side of a delete's commit point and before each clone of a set
        try (InMemoryVolumeService service = new InMemoryVolumeService();
             VolumeLifecycle lifecycle = VolumeLifecycle.open(dir.resolve("lifecycle"), service, hosts,
                     Duration.ofMillis(PAUSE_MILLIS));
             NbdServer server = new NbdServer(NbdServerConfig.loopback(0), service, registry,
                     new VolumeMetrics(registry, VolumeMetrics.DEFAULT_LIMIT, v -> Optional.empty()), QosGates.NONE,
                     new ServingGate(hosts, lifecycle))) {
            lifecycle.create("vm", VolumeSpec.ofSize(1 << 20));
            assertEquals(REP_ACK, go(server, "vm").type(), "an available volume is served");

            CompletableFuture<Void> deleting = CompletableFuture.runAsync(() -> lifecycle.delete("vm"));
            until(() -> lifecycle.recordedState("vm").orElse(null) == VolumeState.DELETING);
            NbdTestClient.OptionReply refused = go(server, "vm");
            assertTrue(service.info("vm").isPresent(), "refused while the volume still exists");
            assertEquals(REP_ERR_UNKNOWN, refused.type());
            assertEquals("volume vm is being deleted", message(refused));
            assertEquals(List.of(), listed(server), "LIST leaves out a volume being deleted");
            deleting.get(10, TimeUnit.SECONDS);
            assertEquals(REP_ERR_UNKNOWN, go(server, "vm").type());

            lifecycle.create("gold", VolumeSpec.ofSize(1 << 20));
            service.open("gold").snapshot("s1");
            CompletableFuture<List<VolumeInfo>> cloning = CompletableFuture.supplyAsync(() -> lifecycle.cloneSet("gold",
                    "s1", List.of("cl1", "cl2"), VolumeLifecycle.CloneProgress.NONE));
            until(() -> service.info("cl1").isPresent() || cloning.isDone());
            assertTrue(service.info("cl2").isEmpty(), "the set is still being made");
            NbdTestClient.OptionReply early = go(server, "cl1");
            assertEquals(REP_ERR_UNKNOWN, early.type());
            assertEquals("volume cl1 is being created; it is served once it is available", message(early));
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                c.sendOption(OPT_EXPORT_NAME, "cl1".getBytes(StandardCharsets.UTF_8));
                assertTrue(c.closedByServer(), "the old-style EXPORT_NAME option is refused too");
            }
            assertEquals(List.of("gold"), listed(server), "LIST leaves out clones being made");
            assertEquals(2, cloning.get(10, TimeUnit.SECONDS).size());
            assertEquals(REP_ACK, go(server, "cl1").type(), "served once available");
            assertEquals(List.of("cl1", "cl2", "gold"), listed(server));
        }
    }
}
