package io.scoria.accelerator.control;

import io.scoria.accelerator.frontend.Admission;
import io.scoria.accelerator.frontend.Client;
import io.scoria.backend.config.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostRegistryTest {
    private static final String SHA = "ab".repeat(32);
    private static final String SECRET = "chap-secret-of-host-b";

    @TempDir
    Path tmp;

    private static Client nbd(String address, String... names) throws Exception {
        return Client.nbd(InetAddress.getByName(address), names.length > 0, List.of(names), null);
    }

    @Test
    void attachedVolumesAdmitOnlyTheirHostsWithTheirModeAndSurviveARestart() throws Exception {
        Path file = tmp.resolve("hosts.json");
        HostRegistry r = HostRegistry.open(file);
        r.add(new Host("a", null, "host-a", null, null, null));
        r.add(new Host("b", null, null, "10.0.0.0/24", "iqn.2026-12.example:b", Secret.of(SECRET)));
        r.add(new Host("c", new CertificatePin(SHA, "CN=c"), null, null, null, null));
        assertTrue(r.admit("vm1", nbd("10.0.0.7")).unmanaged(), "no attachment: the static policy decides");

        r.attach(new Attachment("vm1", "a", true, false));
        Admission a = r.admit("vm1", nbd("127.0.0.1", "host-a"));
        assertEquals(Admission.Kind.ADMITTED, a.kind());
        assertEquals("a", a.host());
        assertTrue(a.readOnly());
        assertTrue(r.admit("vm1", nbd("10.0.0.7")).refused(), "another client is refused");
        assertTrue(r.admit("vm1", nbd("10.0.0.7")).certificateNeeded(), "without TLS: told TLS is required");
        assertTrue(r.admit("vm1", nbd("127.0.0.1", "host-x")).refused());
        assertTrue(r.admit("vm2", nbd("10.0.0.7")).unmanaged(), "other volumes keep the static policy");

        HostException.Conflict exclusive = assertThrows(HostException.Conflict.class,
                () -> r.attach(new Attachment("vm1", "b", false, true)));
        assertTrue(exclusive.getMessage().contains("--shared"), exclusive.getMessage());
        assertThrows(HostException.Conflict.class, () -> r.attach(new Attachment("vm1", "a", false, false)),
                "a different mode needs a detach first");
        assertThrows(HostException.Conflict.class, () -> r.remove("a"), "a host with volumes stays");
        assertThrows(HostException.NotFound.class, () -> r.attach(new Attachment("vm1", "nobody", false, false)));

        r.attach(new Attachment("vm3", "b", false, true));
        r.attach(new Attachment("vm3", "c", false, true));
        Admission i = r.admit("VM3", Client.iscsi(InetAddress.getByName("10.0.0.9"), "IQN.2026-12.example:b"));
        assertEquals("b", i.host(), "iSCSI names compare without case");
        assertEquals(SECRET, i.chapSecret().reveal());
        assertTrue(r.admit("vm3", Client.iscsi(InetAddress.getByName("10.0.1.9"), "iqn.2026-12.example:b")).refused(),
                "outside the host's address block");
        assertTrue(r.admit("vm3", Client.nbd(InetAddress.getByName("127.0.0.1"), true, List.of(), SHA)).host()
                .equals("c"), "a pinned certificate");

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        HostRegistry again = HostRegistry.open(file);
        assertEquals(List.of("a", "b", "c"), again.hosts().stream().map(Host::name).toList());
        assertEquals(r.attachments(), again.attachments());
        assertEquals(SECRET, again.host("b").chapSecret().reveal());
        assertFalse(again.host("b").toString().contains(SECRET), "toString never shows the CHAP secret");

        AtomicInteger closed = new AtomicInteger();
        Client hostA = nbd("127.0.0.1", "host-a");
        again.sessions().opened("vm1", "a", () -> again.admit("vm1", hostA).host() != null,
                closed::incrementAndGet);
        assertEquals(1, again.detach("vm1", "a"), "detach closes the host's session");
        assertEquals(1, closed.get());
        assertThrows(HostException.NotFound.class, () -> again.detach("vm1", "a"));
        again.remove("a");
        assertThrows(HostException.NotFound.class, () -> again.host("a"));
    }

    @Test
    void badHostsAreRefusedNamingWhatIsWrong() {
        assertThrows(IllegalArgumentException.class, () -> new Host("x", null, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new Host("x", null, "a", "10.0.0.1", null, null));
        IllegalArgumentException cidr = assertThrows(IllegalArgumentException.class,
                () -> new Host("x", null, null, "10.0.0.0/33", null, null));
        assertTrue(cidr.getMessage().contains("address"), cidr.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Host("x", null, null, "10.0.0.1", "not-an-iqn", null));
        assertThrows(IllegalArgumentException.class, () -> new Host("x", null, null, "10.0.0.1", null, Secret.of(SECRET)),
                "CHAP needs an iqn");
        assertThrows(IllegalArgumentException.class,
                () -> new Host("x", null, null, "10.0.0.1", "iqn.2026-12.example:x", Secret.of("short")));
        assertThrows(IllegalArgumentException.class, () -> new Host("../x", null, null, "10.0.0.1", null, null));
        assertThrows(IllegalArgumentException.class, () -> CertificatePin.parse("not a certificate"));
    }
}
