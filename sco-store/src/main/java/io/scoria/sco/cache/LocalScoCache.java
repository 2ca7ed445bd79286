package io.scoria.sco.cache;

import io.scoria.sco.ClusterLocation;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
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
 * cache's own.
 *
 * <p>Evicted SCO files are recycled: up to {@value #MAX_SPARES} of them are kept as spares
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
    private static final String UPLOADED = ".uploaded";
    private static final String SPARES = ".spares";
    static final int MAX_SPARES = 4;

    private static final class Entry {
        long bytes;
        boolean uploaded;
        long lastUse;
    }

    private final Path root;
    private final long budget;
    /** Creates SCO files ahead of use ({@link #prepare}); its one thread exits when idle. */
    private final ThreadPoolExecutor files = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            r -> {
                Thread t = new Thread(r, "scoria-sco-files");
                t.setDaemon(true);
                return t;
            });
    private final Map<String, Entry> entries = new HashMap<>();
    /** Evicted SCO files kept for reuse; touched only on the file thread. */
    private final ArrayDeque<Path> spares = new ArrayDeque<>();
    /** The namespace each spare's SCO belonged to (so a deleted volume's spares go with it); file thread only. */
    private final Map<Path, String> spareOrigins = new HashMap<>();
    private final Path spareDir;
    private long spareSeq;
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
        this.spareDir = root.resolve(SPARES);
        files.allowCoreThreadTimeOut(true);
        try {
            Files.createDirectories(root);
            deleteSpares(spareDir);
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
        Path f = file(namespace, scoId);
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    if (reuseSpare(f)) {
                        return f;
                    }
                    OpenSco.createFile(f).close();
                    return f;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot create SCO file " + f, e);
                }
            }, files);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("SCO cache " + root + " is closed", e));
        }
    }

    /** Renames a spare to {@code f} (which must not exist); false if there is no usable spare. File thread only. */
    private boolean reuseSpare(Path f) {
        Path spare;
        while ((spare = spares.poll()) != null) {
            spareOrigins.remove(spare);
            try {
                try {
                    Files.move(spare, f);
                } catch (NoSuchFileException e) {
                    if (!Files.exists(spare)) {
                        continue; // gone (the directory was cleaned): try the next one
                    }
                    Files.createDirectories(f.getParent());
                    Files.move(spare, f);
                }
                return true;
            } catch (IOException e) {
                LOG.warn("cannot reuse spare SCO file {} as {}: {}", spare, f, e.toString());
                try {
                    Files.deleteIfExists(spare);
                } catch (IOException ignored) {
                    // removed at the next start
                }
                return false;
            }
        }
        return false;
    }

    private static void deleteSpares(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> old = Files.newDirectoryStream(dir)) {
            for (Path f : old) {
                Files.deleteIfExists(f);
            }
        }
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
        dropSpares(namespace);
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

    /**
     * Deletes the spares that were SCO files of {@code namespace} (a deleted volume's bytes must not
     * become another volume's SCO file), on the file thread after the recycling queued before; waits.
     */
    private void dropSpares(String namespace) {
        try {
            files.submit(() -> {
                for (var it = spares.iterator(); it.hasNext(); ) {
                    Path spare = it.next();
                    if (namespace.equals(spareOrigins.get(spare))) {
                        it.remove();
                        spareOrigins.remove(spare);
                        Files.deleteIfExists(spare);
                    }
                }
                return null;
            }).get();
        } catch (RejectedExecutionException e) {
            // closed: every spare is deleted at the next start
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting the spare SCO files of " + namespace, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new UncheckedIOException("cannot delete the spare SCO files of " + namespace,
                    e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
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
        recycleLater(root.resolve(victim));
        return true;
    }

    /**
     * Keeps an evicted SCO's file as a spare (or deletes it when there are enough) on the file
     * thread: unlinking a 4 MiB file (freeing its cached pages and blocks) is about a tenth of a
     * writer's CPU in the steady state, and {@link #reserve} runs under the volume's append lock
     * and this monitor. The file is renamed before its upload marker goes, so a crash in between
     * leaves an orphan marker (ignored), never an un-uploaded-looking SCO.
     */
    private void recycleLater(Path f) {
        try {
            files.execute(() -> {
                try {
                    if (spares.size() < MAX_SPARES) {
                        Files.createDirectories(spareDir);
                        Path spare = spareDir.resolve(++spareSeq + ".spare");
                        Files.move(f, spare);
                        spares.add(spare);
                        spareOrigins.put(spare, f.getParent().getFileName().toString());
                        Files.deleteIfExists(f.resolveSibling(f.getFileName() + UPLOADED));
                    } else {
                        deleteFiles(f);
                    }
                } catch (IOException | UncheckedIOException ex) {
                    // not a data error: an evicted copy of an uploaded SCO stays behind until the next start lists it
                    LOG.warn("cannot recycle evicted SCO file {}: {}", f, ex.toString());
                }
            });
        } catch (RejectedExecutionException ex) {
            deleteFiles(f);
        }
    }

    private static void deleteFiles(Path f) {
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
        files.shutdown();
        notifyAll();
        try {
            // queued deletions of evicted files and file preparations finish before close returns
            if (!files.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("SCO cache {}: file thread still busy after 30 s at close", root);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
