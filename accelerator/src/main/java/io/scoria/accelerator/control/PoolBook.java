package io.scoria.accelerator.control;

import io.scoria.sco.Durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The pool definitions of a router, kept in {@code <dataDir>/pools.json} (format 1:
 * {@code {"version": 1, "pools": [PoolDefinition...]}}), replaced atomically (tmp, force, rename) at
 * every change, so a crash leaves the old or the new file. Thread-safe (changes are serialised).
 */
public final class PoolBook {
    static final int VERSION = 1;

    /** On-disk form of the file. */
    record StoredPools(int version, List<PoolDefinition> pools) {
    }

    private final Path file;
    private volatile Map<String, PoolDefinition> pools;

    private PoolBook(Path file, Map<String, PoolDefinition> pools) {
        this.file = file;
        this.pools = pools;
    }

    /** The pools in {@code file} (none if it does not exist yet); a file of another version is an error naming it. */
    public static PoolBook open(Path file) {
        StoredPools s = ControlFiles.read(file, StoredPools.class, "pools file").orElse(null);
        Map<String, PoolDefinition> pools = new TreeMap<>();
        if (s != null) {
            if (s.version() != VERSION || s.pools() == null) {
                throw new IllegalStateException("the pools file " + file + " has version " + s.version()
                        + "; this program reads version " + VERSION);
            }
            s.pools().forEach(p -> pools.put(p.name(), p));
        }
        return new PoolBook(file, Map.copyOf(pools));
    }

    public List<PoolDefinition> all() {
        return new TreeMap<>(pools).values().stream().toList();
    }

    public Optional<PoolDefinition> get(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    /** Adds or replaces {@code pool}, on disk before this returns. */
    public synchronized void put(PoolDefinition pool) {
        Map<String, PoolDefinition> next = new TreeMap<>(pools);
        next.put(pool.name(), pool);
        write(next);
    }

    /** Forgets pool {@code name}; false if there was none. */
    public synchronized boolean remove(String name) {
        if (!pools.containsKey(name)) {
            return false;
        }
        Map<String, PoolDefinition> next = new TreeMap<>(pools);
        next.remove(name);
        write(next);
        return true;
    }

    private void write(Map<String, PoolDefinition> next) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = ControlFiles.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new StoredPools(VERSION, List.copyOf(next.values())));
            Durable.replace(file, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the pools file " + file, e);
        }
        pools = Map.copyOf(next);
    }
}
