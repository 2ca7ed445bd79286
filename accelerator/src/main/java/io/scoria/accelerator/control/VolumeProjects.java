package io.scoria.accelerator.control;

import io.scoria.sco.Durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The project of the volumes this router makes, in {@code <dataDir>/lifecycle/projects.json} (format 1:
 * {@code {"version":1,"projects":{"vol1":"team-a",...}}}), replaced durably (temporary file, force,
 * atomic rename) before a change is visible. It answers for a name only while no volume of that name
 * exists (being created, or rolled back): a volume that exists belongs to the project its backend manifest
 * names ({@link VolumeLifecycle#project}), which every router of the backend reads alike. A name without an
 * entry belongs to {@link Project#DEFAULT}. An entry is written before the volume is created and removed
 * when it is deleted; a stale entry of a name with no volume is overwritten by the next create of that name.
 *
 * <p>Thread-safe: changes are serialized by the object's lock; reads see the last published map.
 */
public final class VolumeProjects {
    static final int VERSION = 1;

    /** On-disk form of the file. */
    record StoredProjects(int version, Map<String, String> projects) {
    }

    private final Path file;
    private volatile Map<String, String> projects;

    private VolumeProjects(Path file, Map<String, String> projects) {
        this.file = file;
        this.projects = projects;
    }

    /** The projects in {@code file} (none if it does not exist yet); a bad file is an error naming it. */
    public static VolumeProjects open(Path file) {
        Objects.requireNonNull(file, "file");
        StoredProjects s = ControlFiles.read(file, StoredProjects.class, "volume projects file").orElse(null);
        Map<String, String> m = new TreeMap<>();
        if (s != null) {
            if (s.version() != VERSION || s.projects() == null) {
                throw new IllegalStateException("the volume projects file " + file + " has version " + s.version()
                        + "; this program reads version " + VERSION);
            }
            try {
                s.projects().forEach((volume, project) -> m.put(volume, new Project(project).name()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("the volume projects file " + file + " is not valid: " + e.getMessage(), e);
            }
        }
        return new VolumeProjects(file, Map.copyOf(m));
    }

    /** The project of {@code volume}: its entry, else {@link Project#DEFAULT}. */
    public String of(String volume) {
        return projects.getOrDefault(volume, Project.DEFAULT);
    }

    /** Records that every volume of {@code volumes} belongs to {@code project}, in one durable write. */
    synchronized void assign(Iterable<String> volumes, String project) {
        String p = new Project(project).name();
        Map<String, String> next = new TreeMap<>(projects);
        for (String v : volumes) {
            next.put(v, p);
        }
        publish(next);
    }

    /** Forgets the project of {@code volume} (it was deleted). */
    synchronized void remove(String volume) {
        if (projects.containsKey(volume)) {
            Map<String, String> next = new TreeMap<>(projects);
            next.remove(volume);
            publish(next);
        }
    }

    private void publish(Map<String, String> next) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = ControlFiles.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new StoredProjects(VERSION, new TreeMap<>(next)));
            Durable.replace(file, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the volume projects file " + file, e);
        }
        projects = Map.copyOf(next);
    }
}
