package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.WriteListener;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.Durable;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.cache.ScoFileCipher;
import io.scoria.sco.cache.SealedScoFile;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The background side of one volume's log: queues its sealed SCOs, then its TLogs, then manifest
 * publishes on the node's {@link Uploader} (one FIFO, so in that order), and keeps what the
 * backend holds: the highest TLog uploaded and the published manifest generation (the local
 * {@code uploaded} file), and which sealed SCOs are neither forced on local flash nor uploaded
 * (what a FLUSH must force). It sees its volume only through {@link UploadSource} (manifest,
 * epoch, deleted, replication fence: checked before every put and publish; once tripped, the
 * volume's queued tasks are dropped). Upload tasks synchronise on {@code this}; the write path only adds to the
 * unforced set and queues tasks. Once the volume is closed and opened again (or deleted), this instance is
 * {@link #supersede superseded}: its tasks are dropped, each task's work runs under {@link #work} so that
 * superseding waits for the one running ({@link ClosedVolumeUploads}).
 */
final class VolumeUploads {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeUploads.class);
    static final String STATE = "uploaded";

    private final VolumeContext ctx;
    private final UploadSource log;
    private final WriteListener listener;
    private final String ns;
    private final Path dir;
    private final int clusterSize;
    private volatile long uploadedThrough;
    private long publishedGeneration;
    /**
     * Sealed SCOs that are neither known to be forced on local flash nor on the backend. A FLUSH
     * forces those still here; an upload removes one without forcing it (the backend copy is
     * the durable one from then on, {@link BackendScoCopy}), so neither sealing nor uploading
     * waits for a local fsync, and an uploaded SCO that is evicted soon is never written to
     * local flash at all.
     */
    private final Set<Long> unforced = ConcurrentHashMap.newKeySet();
    /** Held while a task of this instance does its work; {@link #supersede} takes it to wait for that. */
    private final ReentrantLock work = new ReentrantLock();
    private volatile boolean superseded;
    /** Tasks queued and not yet run or dropped. */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** Run once, when no task is outstanding any more, after {@link #whenDrained}. */
    private final AtomicReference<Runnable> drained = new AtomicReference<>();

    VolumeUploads(VolumeContext ctx, UploadSource log, WriteListener listener, String ns, Path dir, int clusterSize) {
        this.ctx = ctx;
        this.log = log;
        this.listener = listener;
        this.ns = ns;
        this.dir = dir;
        this.clusterSize = clusterSize;
    }

    /** What the backend held when the volume was opened (from {@link #readState} or the manifest). */
    synchronized void restore(long uploadedThrough, long publishedGeneration) {
        this.uploadedThrough = uploadedThrough;
        this.publishedGeneration = publishedGeneration;
    }

    private void submit(Task task) {
        outstanding.incrementAndGet();
        ctx.uploader().submit(task);
    }

    /**
     * Drops this instance's tasks (queued ones are skipped, the one running, if any, is waited for): the
     * volume was opened again, with its own uploads, or is being deleted.
     */
    void supersede() {
        superseded = true;
        work.lock();
        work.unlock();
    }

    /** Runs {@code hook} once when no task of this instance is queued or running (at once if none is). */
    void whenDrained(Runnable hook) {
        drained.set(hook);
        if (outstanding.get() == 0) {
            Runnable r = drained.getAndSet(null);
            if (r != null) {
                r.run();
            }
        }
    }

    /** The highest TLog number on the backend. */
    long uploadedThrough() {
        return uploadedThrough;
    }

    /** A SCO was sealed (not forced): queues its upload; a FLUSH forces it until then. */
    void sealed(long scoId, int crc, int clusters) {
        unforced.add(scoId);
        enqueueSco(scoId, crc, clusters, false);
    }

    /** The sealed SCOs neither forced nor uploaded, at this moment. */
    long[] unforced() {
        long[] ids = new long[unforced.size() + 4];
        int n = 0;
        for (long id : unforced) { // the set may grow meanwhile (uploads, restart)
            if (n == ids.length) {
                ids = java.util.Arrays.copyOf(ids, n * 2);
            }
            ids[n++] = id;
        }
        return java.util.Arrays.copyOf(ids, n);
    }

    int unforcedCount() {
        return unforced.size();
    }

    boolean isUnforced(long scoId) {
        return unforced.contains(scoId);
    }

    /** Forces the local file of sealed SCO {@code scoId} (a file that is gone needs nothing) and notes it. */
    void forceSealed(long scoId) {
        Path f = ctx.scoCache().file(ns, scoId);
        try {
            OpenSco.forceFile(f);
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
                throw e;
            }
        }
        unforced.remove(scoId);
    }

    /**
     * A task of this volume: dropped once the volume is deleted, its history was discarded since, or
     * this node no longer holds the volume under the owner epoch it was queued under (fenced: another
     * node may own it now). While the lease is suspended, {@link #checkOwner} fails and the task is retried.
     */
    private abstract class Task implements Uploader.Task {
        private final long taskEpoch = log.epoch();
        final long ownerEpoch = ctx.ownership().epoch(ns);

        @Override
        public boolean obsolete() {
            return superseded || log.isDeleted() || taskEpoch != log.epoch() || log.fence().tripped() != null
                    || ctx.ownership().epoch(ns) != ownerEpoch;
        }

        @Override
        public final void run() {
            work.lock();
            try {
                if (!superseded) {
                    work();
                }
            } finally {
                work.unlock();
            }
        }

        /** The task's work; throws to be retried. */
        abstract void work();

        @Override
        public final void finished() {
            if (outstanding.decrementAndGet() == 0) {
                Runnable r = drained.getAndSet(null);
                if (r != null) {
                    r.run();
                }
            }
        }

        /**
         * Throws unless this node still holds the volume, live, under {@link #ownerEpoch}, and the
         * volume's replication state is still the one seen at open ({@link ReplicationFence}).
         */
        void checkOwner() {
            ctx.ownership().check(ns, ownerEpoch);
            log.fence().checkBeforeUpload();
        }
    }

    /**
     * Queues the upload of sealed SCO {@code scoId}, which is not forced locally first: once
     * the backend holds it, a FLUSH no longer forces it ({@link #unforced}). A SCO sealed
     * before this process started ({@code check}) is checked against the CRC32C and cluster
     * count of its TLog's SCO_SEALED record before it is stored: after a power loss a sealed
     * SCO that was never forced can hold older bytes (a recycled file: another SCO's), and those
     * must not reach the backend as this SCO; if the backend already holds it as sealed (uploaded
     * before the power loss, whose {@code .uploaded} marker was not forced either), the local
     * copy is dropped. A SCO this process wrote and sealed is in its page cache as written.
     */
    private void enqueueSco(long scoId, int crc, int clusters, boolean check) {
        submit(new Task() {
            private boolean verified = !check;

            @Override
            void work() {
                Path f = ctx.scoCache().file(ns, scoId);
                if (ctx.scoCache().isUploaded(ns, scoId)) {
                    unforced.remove(scoId);
                    return;
                }
                if (!Files.exists(f)) {
                    // Queued again at a restart because its TLog is not on the backend yet, but the SCO
                    // itself was uploaded and then evicted from the local cache (only uploaded SCOs are).
                    if (ctx.store().exists(ns, NamespaceLayout.scoKey(scoId))) {
                        unforced.remove(scoId);
                        return;
                    }
                    throw new VolumeException("SCO " + ns + "/" + NamespaceLayout.scoKey(scoId) + " is neither on local flash ("
                            + f + ") nor on the backend " + ctx.store().name() + ": its clusters can only come from the FOC");
                }
                if (!verified) {
                    long bytes = (long) clusters * clusterSize;
                    try {
                        SealedScoFile.verify(f, scoId, bytes, crc, ctx.scoCipher(ns));
                    } catch (ScoFormatException e) {
                        if (!BackendScoCopy.matchesSeal(ctx.store(), ns, scoId, bytes, crc)) {
                            throw e;
                        }
                        LOG.info("volume {}: the local copy of SCO {} does not match its seal but the backend holds it "
                                + "(uploaded before a power loss); local copy dropped", log.manifest().name(), OpenSco.describe(scoId));
                        ctx.scoCache().drop(ns, scoId);
                        unforced.remove(scoId);
                        return;
                    }
                    verified = true;
                }
                checkOwner();
                ScoFileCipher cipher = ctx.scoCipher(ns);
                if (cipher == null) {
                    ctx.store().put(ns, NamespaceLayout.scoKey(scoId), f);
                } else {
                    // the plaintext: the backend's transform encrypts it in its own format
                    ctx.store().put(ns, NamespaceLayout.scoKey(scoId),
                            SealedScoFile.readContent(f, scoId, (long) clusters * clusterSize, cipher));
                }
                ctx.scoCache().uploaded(ns, scoId);
                unforced.remove(scoId);
            }

            @Override
            public String describe() {
                return ns + "/" + NamespaceLayout.scoKey(scoId);
            }
        });
    }

    void enqueueTlog(long n) {
        submit(new Task() {
            @Override
            void work() {
                Path f = History.tlogFile(dir, n);
                List<Long> scos = new ArrayList<>();
                ByteBuffer content;
                try {
                    byte[] all = Files.readAllBytes(f);
                    TLogReader.Result r = TLogReader.scan(ByteBuffer.wrap(all), f.toString(),
                            TLogVisitor.sealedScos((scoId, crc, clusters) -> scos.add(scoId)));
                    content = ByteBuffer.wrap(all, 0, r.records() * TLogRecord.SIZE);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + f, e);
                }
                checkOwner();
                ctx.store().put(ns, NamespaceLayout.tlogKey(n), content);
                synchronized (VolumeUploads.this) {
                    uploadedThrough = Math.max(uploadedThrough, n);
                }
                publish(ownerEpoch);
                for (long s : scos) {
                    listener.onScoOnBackend(ClusterLocation.scoNumber(s));
                }
            }

            @Override
            public String describe() {
                return ns + "/" + NamespaceLayout.tlogKey(n);
            }
        });
    }

    /**
     * After a restart, behind the restart's own uploads (one FIFO): a local SCO without an
     * {@code .uploaded} marker that the backend holds at the same size is marked uploaded. The
     * marker is not forced, so a power loss can lose it after the SCO and its TLog reached the
     * backend; nothing would queue that SCO again, and unmarked it could never be evicted.
     */
    void enqueueMarkUploaded() {
        submit(new Task() {
            @Override
            void work() {
                for (long id : ctx.scoCache().localScoIds(ns)) {
                    if (ctx.scoCache().isUploaded(ns, id)) {
                        continue;
                    }
                    try {
                        long local = SealedScoFile.contentBytes(ctx.scoCache().file(ns, id), id, ctx.scoCipher(ns));
                        if (ctx.store().stat(ns, NamespaceLayout.scoKey(id)).size() == local) {
                            ctx.scoCache().uploaded(ns, id);
                            unforced.remove(id);
                        }
                    } catch (NotFoundException notUploaded) {
                        // not on the backend (yet): stays pinned until its upload
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // evicted or dropped meanwhile
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read the size of local SCO " + OpenSco.describe(id), e);
                    }
                }
            }

            @Override
            public String describe() {
                return ns + " upload markers";
            }
        });
    }

    void enqueuePublish() {
        submit(new Task() {
            @Override
            void work() {
                publish(ownerEpoch);
            }

            @Override
            public String describe() {
                return ns + " manifest";
            }
        });
    }

    /**
     * Publishes the manifest as the next generation, which the {@link io.scoria.accelerator.OwnershipGuard}
     * reserves first under {@code ownerEpoch} (in a cluster: a compare-and-set in ZooKeeper that a
     * node with a stale epoch loses, so it never publishes again).
     */
    private synchronized void publish(long ownerEpoch) {
        // local manifest renames done without an fsync under the write lock (a scrub's) become
        // durable before the backend's manifest moves past them
        Durable.force(dir);
        log.fence().checkBeforeUpload();
        long generation = ctx.ownership().reservePublish(ns, ownerEpoch, publishedGeneration + 1);
        VolumeManifest m = log.manifest().restrictedTo(uploadedThrough).withGeneration(generation);
        try {
            ctx.manifests().publish(ns, m);
        } catch (PreconditionFailedException e) {
            VolumeManifest newest = ctx.manifests().readLatest(ns).orElseThrow(() -> e);
            log.fence().checkConflict(m, newest);
            publishedGeneration = newest.generation();
            throw e;
        }
        publishedGeneration = m.generation();
        if (!log.isDeleted()) {
            writeState();
        }
    }

    /** Queues every sealed TLog (and its SCOs) not yet on the backend, then a manifest publish. */
    void enqueuePending() {
        for (long t : log.manifest().allTlogs()) {
            if (!VolumeManifest.isUploaded(t, uploadedThrough)) {
                Path f = History.tlogFile(dir, t);
                if (Files.exists(f)) {
                    enqueueSealedScos(f);
                }
                enqueueTlog(t);
            }
        }
        enqueuePublish();
    }

    void enqueueSealedScos(Path tlogFile) {
        TLogReader.replayFile(tlogFile, TLogVisitor.sealedScos((scoId, crc, clusters) -> {
            if (!ctx.scoCache().isUploaded(ns, scoId)) {
                // written before a restart: maybe never forced, so a FLUSH must cover it
                unforced.add(scoId);
                enqueueSco(scoId, crc, clusters, true);
            }
        }));
    }

    /** Records what the backend holds, durably (a publish follows a TLog upload, so rarely). */
    synchronized void writeState() {
        Durable.replace(dir.resolve(STATE),
                ByteBuffer.wrap((uploadedThrough + " " + publishedGeneration + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    /** {uploadedThrough, publishedGeneration} as {@link #writeState} left them; zeros for a new volume. */
    static long[] readState(Path dir) throws IOException {
        Path f = dir.resolve(STATE);
        if (!Files.exists(f)) {
            return new long[]{0, 0};
        }
        String text = Files.readString(f, StandardCharsets.US_ASCII).trim();
        String[] parts = text.split(" ");
        try {
            if (parts.length == 2) {
                long through = Long.parseLong(parts[0]);
                long generation = Long.parseLong(parts[1]);
                if (through >= 0 && generation >= 0) {
                    return new long[]{through, generation};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new VolumeException("volume state file " + f + " is damaged: expected '<highest TLog on the backend> "
                + "<published manifest generation>', found '" + (text.length() > 60 ? text.substring(0, 60) + "..." : text)
                + "'; nothing was changed");
    }
}
