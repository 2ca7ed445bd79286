package io.scoria.sco.cache;

import io.scoria.sco.ClusterLocation;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Open and sealed SCOs of every volume of this node, on a local flash directory
 * ({@code root/<namespace>/<number>.<version>.sco}), within a byte budget.
 *
 * <p>Invariants: a SCO that is not yet on the backend is never evicted; {@link #reserve}
 * evicts uploaded SCOs (least recently used first) and, when only un-uploaded SCOs remain,
 * waits until an upload finishes: ingest is throttled, never failed. Whether a SCO is on the
 * backend survives a restart (a {@code .uploaded} marker file next to it).
 *
 * <p>Thread-safe (one monitor; no I/O other than unlinking files is done while holding it).
 * {@link #prepare} creates files, and eviction deletes them, on one background thread of the
 * cache's own ({@link ScoFileRecycler}).
 *
 * <p>Evicted SCO files are recycled: up to {@value ScoFileRecycler#MAX_SPARES} of them are kept as spares
 * (renamed into {@code root/.spares}, not counted in the budget) and renamed again to be the
 * file of a SCO being {@link #prepare}d. Appending to a recycled file overwrites page-cache
 * pages and blocks that already exist, where a new file costs a new page and a block
 * reservation per cluster (about half of a 4 KiB write's CPU on the build machine). A recycled
 * file holds an older SCO's bytes past what was appended: {@link OpenSco#seal()} cuts them off
 * (and {@link #dropNamespace} deletes the spares of a deleted volume, so its bytes never become another
 * volume's file),
 * and a restart after an unclean stop checks logged clusters against their CRCs (a power loss
 * may have kept the TLog but not the new bytes).
 */
public final class LocalScoCache implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LocalScoCache.class);
    private static final String SUFFIX = ".sco";
    /** Suffix of the marker file next to a SCO file that is on the backend. */
    static final String UPLOADED = ".uploaded";

    private static final class Entry {
        long bytes;
        boolean uploaded;
        long lastUse;
    }

    private final Path root;
    private final long budget;
    /** Creates SCO files ahead of use ({@link #prepare}) and recycles evicted ones, on its own thread. */
    private final ScoFileRecycler recycler;
    private final Map<String, Entry> entries = new HashMap<>();
    private long reserved;
    private long used;
    private long clock;
    private boolean closed;

    public LocalScoCache(Path root, long budgetBytes) {
        this.root = Objects.requireNonNull(root, "root");
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("budgetBytes must be positive: " + budgetBytes);
        }
        this.budget = budgetBytes;
        this.recycler = new ScoFileRecycler(root);
        try {
            Files.createDirectories(root);
            recycler.deleteLeftoverSpares();
            try (DirectoryStream<Path> namespaces = Files.newDirectoryStream(root)) {
                for (Path ns : namespaces) {
                    if (!Files.isDirectory(ns)) {
                        continue;
                    }
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(ns, "*" + SUFFIX)) {
                        for (Path f : files) {
                            Entry e = new Entry();
                            e.bytes = Files.size(f);
                            e.uploaded = Files.exists(f.resolveSibling(f.getFileName() + UPLOADED));
                            entries.put(ns.getFileName() + "/" + f.getFileName(), e);
                            used += e.bytes;
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot scan SCO cache " + root, e);
        }
    }

    public long budget() {
        return budget;
    }

    /**
     * Starts creating the empty file of SCO {@code scoId} of {@code namespace} on the cache's file
     * thread, so that a volume's append path does not pay for the file system's inode
     * allocation (about a millisecond per file on a busy ext4 without a journal). The future
     * completes with the file's path once it exists (a new empty file, or a recycled spare
     * holding an evicted SCO's bytes: appends overwrite them and the seal cuts off the rest),
     * or exceptionally (then the caller creates the file itself). The caller owns the file: it
     * either opens it with {@link OpenSco#openPrepared} or deletes it (see
     * {@link #discardPrepared}); a crash leaves it to the volume's restart, which deletes SCO
     * files no TLog references.
     */
    public CompletableFuture<Path> prepare(String namespace, long scoId) {
        return recycler.prepare(file(namespace, scoId));
    }

    /**
     * Waits for a {@link #prepare}d file and deletes it (it was not needed after all); a failed
     * preparation left nothing behind.
     */
    public static void discardPrepared(CompletableFuture<Path> prepared) {
        Path f;
        try {
            f = prepared.join();
        } catch (RuntimeException e) {
            return;
        }
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete prepared SCO file " + f, e);
        }
    }

    /** Path of the local file of SCO {@code scoId} (a location) of {@code namespace}. */
    public Path file(String namespace, long scoId) {
        return root.resolve(namespace).resolve(fileName(scoId));
    }

    /** {@code %08x.%02x.sco} of number and version, without a {@link java.util.Formatter} (it is on the read path). */
    private static String fileName(long scoId) {
        StringBuilder b = new StringBuilder(8 + 1 + 2 + SUFFIX.length());
        hex(b, ClusterLocation.scoNumber(scoId), 8);
        b.append('.');
        hex(b, ClusterLocation.version(scoId), 2);
        return b.append(SUFFIX).toString();
    }

    /** Appends {@code v} (non-negative) in lower-case hex, zero-padded to at least {@code width} digits. */
    private static void hex(StringBuilder b, long v, int width) {
        String h = Long.toHexString(v);
        for (int i = h.length(); i < width; i++) {
            b.append('0');
        }
        b.append(h);
    }

    /** The SCO id (version and number; offset 0) a local file name stands for, or -1 if it is no SCO file. */
    public long scoIdOf(String fileName) {
        if (fileName.length() != 8 + 1 + 2 + SUFFIX.length() || !fileName.endsWith(SUFFIX) || fileName.charAt(8) != '.') {
            return -1;
        }
        try {
            long number = Long.parseLong(fileName.substring(0, 8), 16);
            int version = Integer.parseInt(fileName.substring(9, 11), 16);
            return ClusterLocation.of(number, version, 0, 0);
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /** The SCOs (ids, offset 0) whose files this node holds for {@code namespace}, in no order. */
    public List<Long> localScoIds(String namespace) {
        Path dir = root.resolve(namespace);
        List<Long> ids = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return ids;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                long id = scoIdOf(f.getFileName().toString());
                if (id >= 0) {
                    ids.add(id);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list SCO cache directory " + dir, e);
        }
        return ids;
    }

    private static String key(String namespace, long scoId) {
        return namespace + "/" + fileName(scoId);
    }

    /**
     * Reserves room for a new open SCO of at most {@code bytes}, evicting uploaded SCOs and
     * waiting (backpressure) while un-uploaded ones fill the budget.
     */
    public void reserve(long bytes) throws InterruptedIOException {
        if (bytes <= 0 || bytes > budget) {
            throw new IllegalArgumentException("bytes must be 1.." + budget + ": " + bytes);
        }
        synchronized (this) {
            while (true) {
                if (closed) {
                    throw new IllegalStateException("SCO cache " + root + " is closed");
                }
                while (used + reserved + bytes > budget && evictOne()) {
                    // evicted one uploaded SCO
                }
                if (used + reserved + bytes <= budget) {
                    reserved += bytes;
                    return;
                }
                try {
                    wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for SCO cache space in " + root);
                }
            }
        }
    }

    /** Gives back a reservation that was not used (for example a volume closed before sealing). */
    public synchronized void release(long bytes) {
        reserved = Math.max(0, reserved - bytes);
        notifyAll();
    }

    /** The SCO was sealed with {@code bytes}; converts the reservation of {@code reservedBytes}. */
    public synchronized void sealed(String namespace, long scoId, long reservedBytes, long bytes) {
        reserved = Math.max(0, reserved - reservedBytes);
        Entry e = entries.computeIfAbsent(key(namespace, scoId), k -> new Entry());
        used += bytes - e.bytes;
        e.bytes = bytes;
        e.lastUse = ++clock;
        notifyAll();
    }

    /** The SCO is on the backend: it may be evicted from now on. */
    public void uploaded(String namespace, long scoId) {
        Path marker = file(namespace, scoId).resolveSibling(fileName(scoId) + UPLOADED);
        try {
            Files.write(marker, new byte[0]);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + marker, e);
        }
        synchronized (this) {
            Entry en = entries.get(key(namespace, scoId));
            if (en != null) {
                en.uploaded = true;
            }
            notifyAll();
        }
    }

    public synchronized boolean isUploaded(String namespace, long scoId) {
        Entry e = entries.get(key(namespace, scoId));
        return e != null && e.uploaded;
    }

    /** True when the SCO is held locally; marks it recently used. */
    public synchronized boolean touch(String namespace, long scoId) {
        Entry e = entries.get(key(namespace, scoId));
        if (e == null) {
            return false;
        }
        e.lastUse = ++clock;
        return true;
    }

    /** Removes one SCO (rollback or reset discarded it). */
    public void drop(String namespace, long scoId) {
        synchronized (this) {
            Entry e = entries.remove(key(namespace, scoId));
            if (e != null) {
                used -= e.bytes;
            }
            notifyAll();
        }
        deleteFiles(file(namespace, scoId));
    }

    /** Removes every SCO of the namespace, and the spare files that were its SCOs. */
    public void dropNamespace(String namespace) {
        synchronized (this) {
            for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Entry> e = it.next();
                if (e.getKey().startsWith(namespace + "/")) {
                    used -= e.getValue().bytes;
                    it.remove();
                }
            }
            notifyAll();
        }
        recycler.dropSpares(namespace);
        Path dir = root.resolve(namespace);
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (NoSuchFileException e) {
            // nothing there
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** Bytes of sealed SCOs held plus open reservations. */
    public synchronized long usedBytes() {
        return used + reserved;
    }

    /** Bytes of sealed SCOs of {@code namespace} not yet on the backend (open reservations are not counted). */
    public synchronized long pinnedBytes(String namespace) {
        String prefix = namespace + "/";
        long p = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            if (!e.getValue().uploaded && e.getKey().startsWith(prefix)) {
                p += e.getValue().bytes;
            }
        }
        return p;
    }

    /** Bytes held by SCOs not yet on the backend. */
    public synchronized long pinnedBytes() {
        long p = reserved;
        for (Entry e : entries.values()) {
            if (!e.uploaded) {
                p += e.bytes;
            }
        }
        return p;
    }

    private boolean evictOne() {
        String victim = null;
        long oldest = Long.MAX_VALUE;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            if (e.getValue().uploaded && e.getValue().lastUse < oldest) {
                oldest = e.getValue().lastUse;
                victim = e.getKey();
            }
        }
        if (victim == null) {
            return false;
        }
        Entry e = entries.remove(victim);
        used -= e.bytes;
        recycler.recycleLater(root.resolve(victim));
        return true;
    }

    /** Deletes the file of a SCO and its upload marker. */
    static void deleteFiles(Path f) {
        try {
            Files.deleteIfExists(f.resolveSibling(f.getFileName() + UPLOADED));
            Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + f, e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        recycler.shutdown();
        notifyAll();
        try {
            // queued deletions of evicted files and file preparations finish before close returns
            if (!recycler.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("SCO cache {}: file thread still busy after 30 s at close", root);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
