package io.scoria.accelerator.control;

import io.scoria.sco.Durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The lifecycle state of every volume that has one, in {@code <dataDir>/lifecycle/states.json}
 * (format 1: {@code {"version":1,"states":{"vol1":"available",...}}}), replaced durably (temporary
 * file, force, atomic rename) before a change is visible. A volume without an entry has no recorded
 * state (it was made before states were kept, or it is deleted): {@link VolumeLifecycle} derives one.
 * {@link VolumeState#DELETED} is never stored: reaching it removes the entry.
 *
 * <p>Thread-safe: changes are serialized by the object's lock; reads see the last published map.
 */
public final class VolumeStates {
    static final int VERSION = 1;

    /** On-disk form of the file. */
    record StoredStates(int version, Map<String, String> states) {
    }

    private final Path file;
    private volatile Map<String, VolumeState> states;

    private VolumeStates(Path file, Map<String, VolumeState> states) {
        this.file = file;
        this.states = states;
    }

    /** The states in {@code file} (none if it does not exist yet); a bad file is an error naming it. */
    public static VolumeStates open(Path file) {
        Objects.requireNonNull(file, "file");
        StoredStates s = ControlFiles.read(file, StoredStates.class, "volume states file").orElse(null);
        Map<String, VolumeState> m = new TreeMap<>();
        if (s != null) {
            if (s.version() != VERSION || s.states() == null) {
                throw new IllegalStateException("the volume states file " + file + " has version " + s.version()
                        + "; this program reads version " + VERSION);
            }
            try {
                s.states().forEach((k, v) -> m.put(k, VolumeState.parse(v)));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("the volume states file " + file + " is not valid: " + e.getMessage(), e);
            }
        }
        return new VolumeStates(file, Map.copyOf(m));
    }

    /** The recorded state of {@code volume}, if any. */
    public Optional<VolumeState> recorded(String volume) {
        return Optional.ofNullable(states.get(volume));
    }

    /** Every recorded state, by volume name. */
    public Map<String, VolumeState> all() {
        return new TreeMap<>(states);
    }

    /**
     * Sets every volume of {@code volumes} to {@code to} in one durable write, without checking the
     * transition (recovery, which restores what the journal and the volumes say).
     */
    synchronized void set(Collection<String> volumes, VolumeState to) {
        Map<String, VolumeState> next = new TreeMap<>(states);
        for (String v : volumes) {
            if (to == VolumeState.DELETED) {
                next.remove(v);
            } else {
                next.put(v, to);
            }
        }
        publish(next);
    }

    /**
     * Moves every volume of {@code volumes} from its current state (as {@code current} tells it, for
     * volumes without an entry) to {@code to}, all or none: the first refused one is a
     * {@link LifecycleTransitionException} and nothing changes.
     */
    synchronized void change(Collection<String> volumes, VolumeState to, Function<String, VolumeState> current) {
        for (String v : volumes) {
            VolumeState from = current.apply(v);
            if (!from.allows(to)) {
                throw new LifecycleTransitionException(v, from, to);
            }
        }
        set(volumes, to);
    }

    private void publish(Map<String, VolumeState> next) {
        Map<String, String> wire = new TreeMap<>();
        next.forEach((k, v) -> wire.put(k, v.wireName()));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = ControlFiles.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new StoredStates(VERSION, wire));
            Durable.replace(file, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the volume states file " + file, e);
        }
        states = Map.copyOf(next);
    }
}
