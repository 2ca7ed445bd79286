package io.scoria.accelerator.iscsi;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.frontend.Admission;
import io.scoria.accelerator.frontend.Attachments;
import io.scoria.accelerator.frontend.Client;
import io.scoria.accelerator.frontend.OpenSessions;
import io.scoria.accelerator.frontend.QosGates;
import io.scoria.accelerator.metrics.VolumeMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real {@link IscsiServer} asks {@link Attachments#unavailable} at login: a volume the control plane
 * has {@code creating} or {@code deleting} fails the login with status 0x0301 (service unavailable), and
 * the same target logs in once the volume is available again; discovery does not list it meanwhile.
 */
class IscsiLifecycleGateTest {
    /** No attachments ({@link Attachments#NONE}); the volumes in {@link #busy} are unavailable. */
    static final class BusyVolumes implements Attachments {
        final Set<String> busy = ConcurrentHashMap.newKeySet();

        @Override
        public Admission admit(String volume, Client client) {
            return NONE.admit(volume, client);
        }

        @Override
        public OpenSessions sessions() {
            return NONE.sessions();
        }

        @Override
        public Optional<String> unavailable(String volume) {
            return busy.contains(volume) ? Optional.of("volume " + volume + " is being deleted") : Optional.empty();
        }
    }

    @Test
    void aVolumeBeingDeletedFailsTheLoginUntilItIsAvailable() throws Exception {
        BusyVolumes gate = new BusyVolumes();
        try (InMemoryVolumeService service = new InMemoryVolumeService(); IscsiServer server = server(service, gate)) {
            service.create("vm1", VolumeSpec.ofSize(64L << 20));
            gate.busy.add("vm1");
            try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
                assertEquals(LoginException.SERVICE_UNAVAILABLE, c.login(IscsiServerTest.TARGET, IscsiServerTest.OPS));
            }
            gate.busy.clear();
            try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
                assertEquals(0, c.login(IscsiServerTest.TARGET, IscsiServerTest.OPS));
            }
        }
    }

    /** SendTargets=All in a discovery session leaves out the targets whose login would be refused as unavailable. */
    @Test
    void discoveryOmitsVolumesBeingCreatedOrDeleted() throws Exception {
        BusyVolumes gate = new BusyVolumes();
        try (InMemoryVolumeService service = new InMemoryVolumeService(); IscsiServer server = server(service, gate)) {
            service.create("vm1", VolumeSpec.ofSize(1 << 20));
            service.create("vm2", VolumeSpec.ofSize(1 << 20));
            gate.busy.add("vm1");
            String busy = discover(server);
            assertFalse(busy.contains("TargetName=iqn.2026-12.io.scoria:vm1"), busy);
            assertTrue(busy.contains("TargetName=iqn.2026-12.io.scoria:vm2"), busy);
            gate.busy.clear();
            String all = discover(server);
            assertTrue(all.contains("TargetName=iqn.2026-12.io.scoria:vm1"), all);
            assertTrue(all.contains("TargetName=iqn.2026-12.io.scoria:vm2"), all);
        }
    }

    /** A real target over {@code service}, its volumes gated by {@code gate}. */
    private static IscsiServer server(InMemoryVolumeService service, BusyVolumes gate) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        return new IscsiServer(IscsiServerConfig.loopback(0), service, registry,
                new VolumeMetrics(registry, VolumeMetrics.DEFAULT_LIMIT, v -> Optional.empty()), QosGates.NONE, gate);
    }

    private static String discover(IscsiServer server) throws Exception {
        try (IscsiTestClient c = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, c.login(null, Map.of()));
            return c.text("SendTargets=All");
        }
    }
}
