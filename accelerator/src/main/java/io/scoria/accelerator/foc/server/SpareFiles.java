package io.scoria.accelerator.foc.server;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Collection;

/**
 * Retired files of removed SCOs of one volume ({@code spare-sco-<16 hex>.foc}), reused for new
 * SCOs: their pages are mostly still cached, so a reuse costs no page allocation or block
 * reservation. At most {@link #MAX} are kept; SCOs are removed in bursts, all those of a TLog once
 * it is on the backend (16 by default), so the pool holds a burst or new SCOs would again create
 * files. A spare is only offered once the removal of its old SCO is durable.
 *
 * <p>Not thread-safe: guarded by the volume's lock ({@link VolumeStore#lock()}). Holds paths only.
 */
final class SpareFiles {
    /** Most spare files kept per volume. */
    static final int MAX = 16;

    private final Path dir;
    private final ArrayDeque<Path> spares = new ArrayDeque<>();

    SpareFiles(Path dir) {
        this.dir = dir;
    }

    /** Takes the spares found in the directory at load (deleting those beyond {@link #MAX}). */
    void load() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "spare-*.foc")) {
            for (Path p : ds) {
                if (spares.size() < MAX) {
                    spares.add(p);
                } else {
                    Files.delete(p);
                }
            }
        }
    }

    /** A spare to reuse, or null. */
    Path poll() {
        return spares.poll();
    }

    int size() {
        return spares.size();
    }

    /** The name a removed SCO's file gets as a spare. */
    Path spareFor(String scoFileName) {
        return dir.resolve("spare-" + scoFileName);
    }

    /** Offers files already renamed to spares. */
    void addAll(Collection<Path> renamed) {
        spares.addAll(renamed);
    }

    /** Renames a removed SCO's file to a spare if there is room, else deletes it. */
    void recycle(Path p) throws IOException {
        if (spares.size() < MAX) {
            Path spare = spareFor(p.getFileName().toString());
            Files.move(p, spare, StandardCopyOption.ATOMIC_MOVE);
            spares.add(spare);
        } else {
            Files.delete(p);
        }
    }

    /** Deletes every spare (UNREGISTER). */
    void deleteAll() throws IOException {
        for (Path spare : spares) {
            Files.deleteIfExists(spare);
        }
        spares.clear();
    }
}
