package io.scoria.sco.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The file thread of a {@link LocalScoCache} and the spare SCO files it keeps
 * ({@code root/.spares/<n>.spare}): creates the files of SCOs ahead of use ({@link #prepare}, from a
 * spare when one is kept), keeps the files of evicted SCOs as spares or deletes them
 * ({@link #recycleLater}), and deletes the spares that were a deleted volume's SCOs
 * ({@link #dropSpares}). Why files are recycled: see {@link LocalScoCache}.
 *
 * <p>Thread-safety: any thread may call it; the work runs on the one file thread ({@code scoria-sco-files},
 * a daemon that exits when idle), one task at a time in the order given, and the spares and their
 * origins are touched only there. It holds no lock; the cache calls {@link #recycleLater} under its
 * monitor, which only queues the work (or deletes the file once the thread is shut down).
 */
final class ScoFileRecycler {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ScoFileRecycler.class);
    private static final String SPARES = ".spares";
    static final int MAX_SPARES = 4;

    private final Path root;
    /** Creates SCO files ahead of use ({@link #prepare}); its one thread exits when idle. */
    private final ThreadPoolExecutor files = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            r -> {
                Thread t = new Thread(r, "scoria-sco-files");
                t.setDaemon(true);
                return t;
            });
    /** Evicted SCO files kept for reuse; touched only on the file thread. */
    private final ArrayDeque<Path> spares = new ArrayDeque<>();
    /** The namespace each spare's SCO belonged to (so a deleted volume's spares go with it); file thread only. */
    private final Map<Path, String> spareOrigins = new HashMap<>();
    private final Path spareDir;
    private long spareSeq;

    /** The file thread of the SCO cache in {@code root}; its spares go to {@code root/.spares}. */
    ScoFileRecycler(Path root) {
        this.root = root;
        this.spareDir = root.resolve(SPARES);
        files.allowCoreThreadTimeOut(true);
    }

    /** Deletes the spares a previous run left behind (at start, before the thread has work). */
    void deleteLeftoverSpares() throws IOException {
        deleteSpares(spareDir);
    }

    /**
     * Starts creating file {@code f} of a SCO on the file thread (see {@link LocalScoCache#prepare}):
     * a recycled spare renamed, else a new empty file. Fails at once if the thread is shut down.
     */
    CompletableFuture<Path> prepare(Path f) {
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
     * Deletes the spares that were SCO files of {@code namespace} (a deleted volume's bytes must not
     * become another volume's SCO file), on the file thread after the recycling queued before; waits.
     */
    void dropSpares(String namespace) {
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

    /**
     * Keeps an evicted SCO's file as a spare (or deletes it when there are enough) on the file
     * thread: unlinking a 4 MiB file (freeing its cached pages and blocks) is about a tenth of a
     * writer's CPU in the steady state, and {@link LocalScoCache#reserve} runs under the volume's append
     * lock and the cache's monitor. The file is renamed before its upload marker goes, so a crash in
     * between leaves an orphan marker (ignored), never an un-uploaded-looking SCO.
     */
    void recycleLater(Path f) {
        try {
            files.execute(() -> {
                try {
                    if (spares.size() < MAX_SPARES) {
                        Files.createDirectories(spareDir);
                        Path spare = spareDir.resolve(++spareSeq + ".spare");
                        Files.move(f, spare);
                        spares.add(spare);
                        spareOrigins.put(spare, f.getParent().getFileName().toString());
                        Files.deleteIfExists(f.resolveSibling(f.getFileName() + LocalScoCache.UPLOADED));
                    } else {
                        LocalScoCache.deleteFiles(f);
                    }
                } catch (IOException | UncheckedIOException ex) {
                    // not a data error: an evicted copy of an uploaded SCO stays behind until the next start lists it
                    LOG.warn("cannot recycle evicted SCO file {}: {}", f, ex.toString());
                }
            });
        } catch (RejectedExecutionException ex) {
            LocalScoCache.deleteFiles(f);
        }
    }

    /** Takes no more work; what is queued still runs (see {@link #awaitTermination}). */
    void shutdown() {
        files.shutdown();
    }

    /** Waits until the queued work ran after {@link #shutdown}; false on timeout. */
    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return files.awaitTermination(timeout, unit);
    }
}
