package io.scoria.accelerator.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.frontend.QosGate;
import io.scoria.accelerator.frontend.QosGates;
import io.scoria.accelerator.frontend.QosLimits;
import io.scoria.sco.Durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The QoS caps of this node's volumes: one {@link QosGate} per volume name, shared by the NBD and
 * iSCSI frontends, and the caps persisted in one JSON file ({@code <dataDir>/qos.json}, replaced
 * durably on every change) so that they survive a restart. A change applies to connections already
 * attached from their next request.
 *
 * <p>Thread-safe; changes are serialized by the registry's lock, lookups are lock-free.
 */
public final class QosRegistry implements QosGates {
    static final int VERSION = 1;

    private final Path file;
    private final ObjectMapper json = ControlFiles.JSON;
    private final Map<String, QosGate> gates = new ConcurrentHashMap<>();
    private final Map<String, QosLimits> stored = new TreeMap<>();

    /** On-disk form of the file. */
    record StoredLimits(int version, Map<String, QosLimits> volumes) {
    }

    private QosRegistry(Path file) {
        this.file = file;
    }

    /** The caps in {@code file} (none if it does not exist yet; it is written on the first change). */
    public static QosRegistry open(Path file) {
        QosRegistry r = new QosRegistry(Objects.requireNonNull(file, "file"));
        StoredLimits s = ControlFiles.read(file, StoredLimits.class, "QoS file").orElse(null);
        if (s == null) {
            return r;
        }
        if (s.version() != VERSION || s.volumes() == null) {
            throw new IllegalStateException("the QoS file " + file + " has version " + s.version()
                    + "; this program reads version " + VERSION);
        }
        s.volumes().forEach((volume, limits) -> {
            if (limits == null) {
                throw new IllegalStateException("the QoS file " + file + " has no limits for volume " + volume);
            }
            r.stored.put(volume, limits);
            r.gates.computeIfAbsent(volume, v -> new QosGate()).limits(limits);
        });
        return r;
    }

    @Override
    public QosGate gate(String volume) {
        return gates.computeIfAbsent(volume, v -> new QosGate());
    }

    /** The caps of {@code volume} ({@link QosLimits#NONE} if it has none). */
    public QosLimits limits(String volume) {
        QosGate g = gates.get(volume);
        return g == null ? QosLimits.NONE : g.limits();
    }

    /** Sets the caps of {@code volume} (durably first, then on its gate); NONE removes them. */
    public synchronized void set(String volume, QosLimits limits) {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(limits, "limits");
        Map<String, QosLimits> next = new TreeMap<>(stored);
        if (limits.unlimited()) {
            next.remove(volume);
        } else {
            next.put(volume, limits);
        }
        write(next);
        stored.clear();
        stored.putAll(next);
        gate(volume).limits(limits);
    }

    /** Forgets {@code volume} (deleted): a new volume of that name starts without caps. */
    public synchronized void forget(String volume) {
        if (stored.containsKey(volume)) {
            set(volume, QosLimits.NONE);
        }
        gates.remove(volume);
    }

    private void write(Map<String, QosLimits> next) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(new StoredLimits(VERSION, next));
            Durable.replace(file, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the QoS file " + file, e);
        }
    }
}
