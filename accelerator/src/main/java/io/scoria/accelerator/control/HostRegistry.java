package io.scoria.accelerator.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.frontend.Admission;
import io.scoria.accelerator.frontend.Attachments;
import io.scoria.accelerator.frontend.Client;
import io.scoria.accelerator.frontend.OpenSessions;
import io.scoria.backend.config.Secret;
import io.scoria.sco.Durable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The hosts of this router and the volumes attached to them, kept in one JSON file
 * ({@code <dataDir>/hosts.json}, mode 0600 because it holds hosts' CHAP secrets; replaced durably
 * on every change, before the change is visible). Both frontends ask it whether a client may use a
 * volume ({@link #admit}): a volume with attachments is served only to its attached hosts. A detach
 * closes the sessions the volume's remaining attachments do not admit.
 *
 * <p>Thread-safe: changes are serialized by the registry's lock and publish a new immutable
 * {@link State}; {@link #admit} reads the current one without locking or I/O.
 */
public final class HostRegistry implements Attachments {
    private static final Logger log = LoggerFactory.getLogger(HostRegistry.class);
    static final int VERSION = 1;

    /** Everything the file holds; immutable. */
    private record State(Map<String, Host> hosts, List<Attachment> attachments) {
        List<Attachment> of(String volume, boolean anyCase) {
            return attachments.stream().filter(a -> anyCase ? a.volume().equalsIgnoreCase(volume)
                    : a.volume().equals(volume)).toList();
        }
    }

    /**
     * On-disk form of a host: the CHAP secret in clear (the file is the router's own, mode 0600); {@code project}
     * absent (a file written before projects) is {@link Project#DEFAULT}.
     */
    record StoredHost(String name, String certificateSha256, String certificateSubject, String certificateIdentity,
                      String address, String iqn, String chapSecret, String project) {
        static StoredHost of(Host h) {
            return new StoredHost(h.name(), h.certificate() == null ? null : h.certificate().sha256(),
                    h.certificate() == null ? null : h.certificate().subject(), h.certificateIdentity(), h.address(),
                    h.iqn(), Secret.reveal(h.chapSecret()), h.project());
        }

        @Override
        public String toString() {
            return "StoredHost[" + name + "]"; // never the CHAP secret
        }

        Host host() {
            return new Host(name, certificateSha256 == null ? null : new CertificatePin(certificateSha256, certificateSubject),
                    certificateIdentity, address, iqn, Secret.ofNullable(chapSecret), project);
        }
    }

    /** On-disk form of the file. */
    record StoredHosts(int version, List<StoredHost> hosts, List<Attachment> attachments) {
    }

    private final Path file;
    private final OpenSessions sessions = new OpenSessions();
    private final ObjectMapper json = ControlFiles.JSON;
    private volatile State state = new State(Map.of(), List.of());

    private HostRegistry(Path file) {
        this.file = file;
    }

    /** The hosts and attachments in {@code file} (none if it does not exist yet). */
    public static HostRegistry open(Path file) {
        HostRegistry r = new HostRegistry(Objects.requireNonNull(file, "file"));
        StoredHosts s = ControlFiles.read(file, StoredHosts.class, "hosts file").orElse(null);
        if (s == null) {
            return r;
        }
        if (s.version() != VERSION || s.hosts() == null || s.attachments() == null) {
            throw new IllegalStateException("the hosts file " + file + " has version " + s.version()
                    + "; this program reads version " + VERSION);
        }
        Map<String, Host> hosts = new TreeMap<>();
        try {
            s.hosts().forEach(h -> hosts.put(h.name(), h.host()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the hosts file " + file + " is not valid: " + e.getMessage(), e);
        }
        r.state = new State(Map.copyOf(hosts), List.copyOf(s.attachments()));
        return r;
    }

    /** Every host, by name. */
    public List<Host> hosts() {
        return List.copyOf(new TreeMap<>(state.hosts()).values());
    }

    /** The host called {@code name}. */
    public Host host(String name) {
        Host h = state.hosts().get(name);
        if (h == null) {
            throw new HostException.NotFound("no host " + name);
        }
        return h;
    }

    /** Adds {@code host}; a host of that name already there is a conflict. */
    public synchronized void add(Host host) {
        State s = state;
        if (s.hosts().containsKey(host.name())) {
            throw new HostException.Conflict("host " + host.name() + " exists; remove it first to change it");
        }
        Map<String, Host> hosts = new TreeMap<>(s.hosts());
        hosts.put(host.name(), host);
        publish(new State(Map.copyOf(hosts), s.attachments()));
        log.info("host {} added", host.name());
    }

    /** Removes host {@code name}; refused while volumes are attached to it. */
    public synchronized void remove(String name) {
        State s = state;
        host(name);
        List<String> attached = s.attachments().stream().filter(a -> a.host().equals(name)).map(Attachment::volume).toList();
        if (!attached.isEmpty()) {
            throw new HostException.Conflict("host " + name + " has volumes attached: " + attached + "; detach them first");
        }
        Map<String, Host> hosts = new TreeMap<>(s.hosts());
        hosts.remove(name);
        publish(new State(Map.copyOf(hosts), s.attachments()));
        log.info("host {} removed", name);
    }

    /** The attachments of {@code volume}. */
    public List<Attachment> attachments(String volume) {
        return state.of(volume, false);
    }

    /** Every attachment. */
    public List<Attachment> attachments() {
        return state.attachments();
    }

    /**
     * Attaches {@code volume} (which the caller checked exists) to its host. Attaching again with the
     * same mode and sharing changes nothing; a different mode or sharing is a conflict (detach first),
     * and so is a second host unless both attachments are shared.
     */
    public synchronized Attachment attach(Attachment a) {
        State s = state;
        host(a.host());
        List<Attachment> current = s.of(a.volume(), false);
        for (Attachment c : current) {
            if (c.host().equals(a.host())) {
                if (c.equals(a)) {
                    return c;
                }
                throw new HostException.Conflict("volume " + a.volume() + " is attached to host " + a.host() + " as "
                        + c.mode() + (c.shared() ? " shared" : "") + "; detach it first to change that");
            }
            if (!c.shared() || !a.shared()) {
                throw new HostException.Conflict("volume " + a.volume() + " is attached to host " + c.host()
                        + (c.shared() ? "" : " exclusively") + "; a second host needs --shared on both attachments");
            }
        }
        List<Attachment> all = new ArrayList<>(s.attachments());
        all.add(a);
        publish(new State(s.hosts(), List.copyOf(all)));
        // the first attachment ends the static policy: sessions of clients that are not this host close
        int closed = sessions.recheck(a.volume());
        log.info("volume {} attached to host {} ({}{}); {} other sessions closed", a.volume(), a.host(), a.mode(),
                a.shared() ? ", shared" : "", closed);
        return a;
    }

    /** Detaches {@code volume} from {@code host} and closes that host's sessions of the volume; returns how many. */
    public synchronized int detach(String volume, String host) {
        State s = state;
        List<Attachment> all = new ArrayList<>(s.attachments());
        if (!all.removeIf(a -> a.volume().equals(volume) && a.host().equals(host))) {
            throw new HostException.NotFound("volume " + volume + " is not attached to host " + host);
        }
        publish(new State(s.hosts(), List.copyOf(all)));
        int closed = sessions.close(volume, host) + sessions.recheck(volume);
        log.info("volume {} detached from host {}; {} sessions closed", volume, host, closed);
        return closed;
    }

    @Override
    public Admission admit(String volume, Client client) {
        State s = state;
        boolean iscsi = client.initiator() != null;
        List<Attachment> attached = s.of(volume, iscsi);
        if (attached.isEmpty()) {
            return Admission.UNMANAGED;
        }
        boolean certificateNeeded = false;
        for (Attachment a : attached) {
            Host h = s.hosts().get(a.host());
            if (h == null) {
                continue;
            }
            if (h.matches(client)) {
                return Admission.admitted(h.name(), a.readOnly(), iscsi ? h.chapSecret() : null);
            }
            certificateNeeded |= h.byCertificate();
        }
        return Admission.refused(!iscsi && certificateNeeded && !client.tls());
    }

    @Override
    public OpenSessions sessions() {
        return sessions;
    }

    private void publish(State next) {
        List<StoredHost> hosts = next.hosts().values().stream().map(StoredHost::of).toList();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = json.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new StoredHosts(VERSION, hosts, next.attachments()));
            Durable.replace(file, ByteBuffer.wrap(bytes),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the hosts file " + file, e);
        }
        state = next;
    }
}
