package io.scoria.accelerator.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.sco.Durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the {@link SnapshotScheduler} keeps on disk, in one JSON file ({@code <dataDir>/schedules.json},
 * format 1), replaced atomically and durably (temporary file, fsync, rename) on every change: the
 * schedule set for all volumes and per volume, when the scheduler first saw each volume, and every
 * snapshot it made with its state. A snapshot is recorded {@code TAKING} before it is made and
 * {@code TAKEN} after; {@code DELETING} before it is deleted and forgotten after. A kill at any point
 * leaves either a finished state or an intent that the next start resolves by looking at the
 * volume (see {@link SnapshotScheduler}).
 *
 * <pre>
 * {"version": 1, "defaultSchedule": "every 1h, keep 24 hourly + 7 daily",   (null: the config's default)
 *  "volumes": {"vm1": "every 15m, keep 4 last", "scratch": "none"},
 *  "anchors": {"vm1": 1767225600000},                                      (first seen, ms since the epoch)
 *  "snapshots": {"vm1": [{"name": "auto-20260101T000000.000Z", "createdMillis": 1767225600000, "state": "TAKEN"}]}}
 * </pre>
 *
 * <p>Not thread-safe: its owner serialises calls. Every mutator is on disk when it returns.
 */
final class ScheduleBook {
    static final int VERSION = 1;

    /** The state of one snapshot the scheduler made. */
    enum State { TAKING, TAKEN, DELETING }

    /** One snapshot the scheduler made (or is making, or deleting). */
    record Made(String name, long createdMillis, State state) {
        Made {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(state, "state");
        }

        Made in(State s) {
            return new Made(name, createdMillis, s);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Stored(int version, String defaultSchedule, Map<String, String> volumes, Map<String, Long> anchors,
                  Map<String, List<Made>> snapshots) {
    }

    private final Path file;
    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private String defaultSchedule;
    private final Map<String, String> volumes = new TreeMap<>();
    private final Map<String, Long> anchors = new TreeMap<>();
    private final Map<String, List<Made>> snapshots = new TreeMap<>();

    private ScheduleBook(Path file) {
        this.file = file;
    }

    /** The book in {@code file}, empty if there is none yet. */
    static ScheduleBook open(Path file) {
        ScheduleBook b = new ScheduleBook(Objects.requireNonNull(file, "file"));
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schedule file " + file, e);
        }
        Stored s;
        try {
            s = b.json.readValue(raw, Stored.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("the schedule file " + file + " is not valid: " + e.getMessage(), e);
        }
        if (s.version() != VERSION) {
            throw new IllegalStateException("the schedule file " + file + " has version " + s.version()
                    + "; this program reads version " + VERSION);
        }
        b.defaultSchedule = s.defaultSchedule();
        if (s.volumes() != null) {
            b.volumes.putAll(s.volumes());
        }
        if (s.anchors() != null) {
            b.anchors.putAll(s.anchors());
        }
        if (s.snapshots() != null) {
            s.snapshots().forEach((v, list) -> b.snapshots.put(v, new ArrayList<>(list)));
        }
        return b;
    }

    String defaultSchedule() {
        return defaultSchedule;
    }

    void setDefault(String text) {
        defaultSchedule = text;
        save();
    }

    /** The schedule text set for {@code volume} ({@link SnapshotSchedule#NONE}: off), or null: none set. */
    String schedule(String volume) {
        return volumes.get(volume);
    }

    Map<String, String> schedules() {
        return Map.copyOf(volumes);
    }

    void setSchedule(String volume, String text) {
        if (text == null) {
            if (volumes.remove(volume) != null) {
                save();
            }
            return;
        }
        volumes.put(volume, text);
        save();
    }

    /** When the scheduler first saw {@code volume}, or null. */
    Long anchor(String volume) {
        return anchors.get(volume);
    }

    /** Records first sight of these volumes at {@code millis} (one write for all). */
    void anchor(List<String> newVolumes, long millis) {
        if (newVolumes.isEmpty()) {
            return;
        }
        newVolumes.forEach(v -> anchors.put(v, millis));
        save();
    }

    /** The snapshots made for {@code volume}, oldest first. */
    List<Made> made(String volume) {
        return List.copyOf(snapshots.getOrDefault(volume, List.of()));
    }

    /** Volumes with anything recorded. */
    List<String> volumesKnown() {
        java.util.Set<String> all = new java.util.TreeSet<>(anchors.keySet());
        all.addAll(snapshots.keySet());
        all.addAll(volumes.keySet());
        return List.copyOf(all);
    }

    /** Adds or replaces (by name) the record of a snapshot of {@code volume}. */
    void put(String volume, Made m) {
        List<Made> list = snapshots.computeIfAbsent(volume, v -> new ArrayList<>());
        list.removeIf(x -> x.name().equals(m.name()));
        list.add(m);
        list.sort((a, b) -> Long.compare(a.createdMillis(), b.createdMillis()));
        save();
    }

    /** Forgets the record of snapshot {@code name} of {@code volume}. */
    void remove(String volume, String name) {
        List<Made> list = snapshots.get(volume);
        if (list != null && list.removeIf(x -> x.name().equals(name))) {
            if (list.isEmpty()) {
                snapshots.remove(volume);
            }
            save();
        }
    }

    /** Forgets everything about a deleted volume. */
    void forget(String volume) {
        boolean changed = volumes.remove(volume) != null;
        changed |= anchors.remove(volume) != null;
        changed |= snapshots.remove(volume) != null;
        if (changed) {
            save();
        }
    }

    private void save() {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    new Stored(VERSION, defaultSchedule, volumes, anchors, snapshots));
            Durable.replace(file, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the schedule file " + file, e);
        }
    }
}
