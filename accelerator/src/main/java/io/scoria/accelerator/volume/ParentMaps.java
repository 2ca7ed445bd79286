package io.scoria.accelerator.volume;

import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.accelerator.metadata.ParentLayer;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.Durable;
import io.scoria.sco.VolumeManifest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The LBA maps of parent snapshots that clones on this node lie over ({@link LbaMap#layOver}): the map of
 * one snapshot of one parent is built once per node, the first time a clone of it opens (replaying the
 * parent's history through that snapshot), kept in {@code <data>/parent-maps/<namespace>/<snapshot id>/}
 * and shared by every clone of that snapshot, so a clone's creation and open read nothing of the parent
 * and its own map holds only what it wrote. A snapshot never changes (the scrubber leaves snapshots a
 * clone depends on alone), so a built map stays valid; a {@code complete} marker, written after the
 * map file is forced, tells a built map from one a crash interrupted (rebuilt).
 *
 * <p>Threads: {@link #layerOf} and {@link #close} are serialised on this object; the layers it hands out
 * may be read from any thread until {@link #close}, which the owning service calls after closing its volumes.
 */
final class ParentMaps implements AutoCloseable {
    static final String DIR = "parent-maps";
    private static final String COMPLETE = "complete";

    private final VolumeContext ctx;
    private final Path root;
    private final Map<String, LbaMap> maps = new HashMap<>();
    private boolean closed;

    ParentMaps(VolumeContext ctx, Path root) {
        this.ctx = ctx;
        this.root = root;
    }

    /** The layer clone {@code clone} (which has a parent) lies over; builds its parent snapshot's map on first use. */
    synchronized ParentLayer layerOf(VolumeManifest clone) {
        if (closed) {
            throw new IllegalStateException("the parent maps of " + root + " are closed");
        }
        VolumeManifest.Parent p = clone.parent();
        Path dir = root.resolve(p.namespace()).resolve(String.format(Locale.ROOT, "%016x", p.snapshotId()));
        LbaMap map = maps.get(dir.toString());
        if (map == null) {
            map = openOrBuild(p, dir);
            maps.put(dir.toString(), map);
        }
        return new Inherited(map);
    }

    private LbaMap openOrBuild(VolumeManifest.Parent p, Path dir) {
        VolumeManifest parent = ctx.manifestOf(p.namespace());
        long clusters = parent.config().clusters();
        Path file = dir.resolve(LbaMap.FILE_NAME);
        if (Files.exists(dir.resolve(COMPLETE))) {
            return LbaMap.open(file, clusters);
        }
        List<History.Source> sources = History.collect(ctx, parent, 0, p.snapshot());
        VolumeRemoval.deleteTree(dir);
        try {
            Files.createDirectories(dir);
            try (LbaMap built = LbaMap.open(file, clusters, clusters)) {
                History.apply(built, sources);
            }
            Durable.force(file);
            VolumeLog.writeMarker(dir, COMPLETE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the map of snapshot '" + p.snapshot() + "' of '" + p.volume()
                    + "' in " + dir, e);
        }
        return LbaMap.open(file, clusters);
    }

    /** Drops the maps of {@code namespace}'s snapshots (the volume is deleted: no clone lies over them any more). */
    synchronized void forget(String namespace) {
        String prefix = root.resolve(namespace).toString();
        maps.entrySet().removeIf(e -> {
            if (Path.of(e.getKey()).startsWith(Path.of(prefix))) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        VolumeRemoval.deleteTree(root.resolve(namespace));
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            maps.values().forEach(LbaMap::close);
            maps.clear();
        }
    }

    /** A parent snapshot's map seen from a clone: locations one level deeper, nothing past the parent's end. */
    private record Inherited(LbaMap map) implements ParentLayer {
        @Override
        public void get(long lba, LbaEntry out) {
            map.get(lba, out);
            if (out.location != ClusterLocation.ZERO) {
                out.location = ClusterLocation.deeper(out.location, 1);
            }
        }
    }
}
