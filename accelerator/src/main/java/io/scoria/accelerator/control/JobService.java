package io.scoria.accelerator.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The router's long operations as jobs: {@link #submit} checks the parameters, keeps the job on
 * disk and returns it at once (queued or running); at most {@code maxRunning} run at a time on
 * the service's own threads, at most {@code maxQueued} wait (more are refused with
 * {@link JobException.QueueFull}), the newest {@code maxFinished} finished jobs are kept. Every
 * state change, checkpoint and (at most every {@code saveInterval}) progress is written to
 * {@code <id>.json} ({@link JobStore}). On construction, jobs a previous run left unfinished
 * are queued again from their checkpoint if their {@link JobType} is resumable, else marked
 * {@link JobState#FAILED} with the reason ({@code router-restarted}).
 *
 * <p>Thread-safe: the table of jobs is guarded by this object's monitor; files are written
 * under it too (small, one per state change or interval). Tasks run outside the monitor.
 * {@link #close()} asks running jobs to stop (a resumable one continues after the next start)
 * and waits up to 10 s; it is idempotent.
 */
public final class JobService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobService.class);

    private final JobsConfig config;
    private final Map<String, JobType> types = new HashMap<>();
    private final JobStore store;
    private final ObjectMapper json = new ObjectMapper();
    private final ExecutorService threads;
    private final Map<String, Entry> jobs = new LinkedHashMap<>();
    private final Deque<String> waiting = new ArrayDeque<>();
    private int running;
    private boolean closed;

    private static final class Entry {
        JobRecord record;
        JobTask task;
        JobContext context;
        boolean cancelAsked;
        long lastSavedNanos;

        Entry(JobRecord record, JobTask task) {
            this.record = record;
            this.task = task;
        }
    }

    /** Opens the jobs of {@code config.dir()}, resuming or failing unfinished ones, with these kinds. */
    public JobService(JobsConfig config, List<JobType> kinds) {
        this.config = Objects.requireNonNull(config, "config");
        for (JobType t : kinds) {
            if (types.put(t.kind(), t) != null) {
                throw new IllegalArgumentException("job kind '" + t.kind() + "' registered twice");
            }
        }
        this.store = new JobStore(config.dir());
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(config.maxRunning(), r -> {
            Thread t = new Thread(r, "scoria-job-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        synchronized (this) {
            List<JobRecord> found = store.loadAll();
            found.sort(Comparator.comparingLong(JobRecord::createdMillis));
            for (JobRecord r : found) {
                recover(r);
            }
            trimFinished();
            startWaiting();
        }
    }

    private void recover(JobRecord r) {
        if (r.state().finished()) {
            jobs.put(r.id(), new Entry(r, null));
            return;
        }
        JobType type = types.get(r.kind());
        JobFailure why = null;
        JobTask task = null;
        if (type == null) {
            why = new JobFailure("router-restarted", "Router restarted", 503, "the router restarted while this "
                    + r.kind() + " job was " + r.state().name().toLowerCase(java.util.Locale.ROOT)
                    + ", and this router has no " + r.kind() + " jobs (is its backend still the same kind?)");
        } else if (!type.resumable() && r.state() == JobState.RUNNING) {
            why = new JobFailure("router-restarted", "Router restarted", 503, type.interruptedDetail(r));
        } else {
            try {
                task = type.task(r.params(), r.checkpoint());
            } catch (RuntimeException e) {
                why = new JobFailure("router-restarted", "Router restarted", 503,
                        "the router restarted and this job cannot continue: " + e.getMessage());
            }
        }
        if (why != null) {
            JobRecord failed = r.finished(JobState.FAILED, r.result(), why, System.currentTimeMillis());
            store.save(failed);
            jobs.put(r.id(), new Entry(failed, null));
            LOG.warn("job {} ({} {}) failed: {}", r.id(), r.kind(), r.target(), why.detail());
            return;
        }
        JobRecord again = r.state() == JobState.RUNNING ? r.requeued() : r;
        store.save(again);
        jobs.put(r.id(), new Entry(again, task));
        waiting.add(r.id());
        LOG.info("job {} ({} {}) queued again after a restart{}", r.id(), r.kind(), r.target(),
                r.checkpoint() == null ? "" : ", continuing after " + r.checkpoint());
    }

    /** The kinds this service runs. */
    public synchronized List<String> kinds() {
        return types.keySet().stream().sorted().toList();
    }

    /**
     * Starts a job of {@code kind} on {@code target} (a volume, a store, "distributor") with
     * {@code params}; returns it queued or running. Bad parameters throw
     * {@link IllegalArgumentException} and keep nothing; a full queue throws
     * {@link JobException.QueueFull}; an unknown kind {@link JobException.NotFound}.
     */
    public synchronized JobRecord submit(String kind, String target, Map<String, String> params) {
        if (closed) {
            throw new IllegalStateException("the job service is closed");
        }
        JobType type = types.get(kind);
        if (type == null) {
            throw new JobException.NotFound("this router runs no " + kind + " jobs (it runs " + kinds() + ")");
        }
        JobTask task = type.task(params, null);
        if (running >= config.maxRunning() && waiting.size() >= config.maxQueued()) {
            throw new JobException.QueueFull(running + " jobs run and " + waiting.size()
                    + " wait, the most this router allows; submit again when some have finished");
        }
        JobRecord r = JobRecord.queued(JobIds.next(), kind, target, params, System.currentTimeMillis());
        store.save(r);
        jobs.put(r.id(), new Entry(r, task));
        waiting.add(r.id());
        LOG.info("job {} submitted: {} {} {}", r.id(), kind, target, r.params());
        startWaiting();
        return jobs.get(r.id()).record;
    }

    /** Every job kept, oldest first. */
    public synchronized List<JobRecord> list() {
        List<JobRecord> out = new ArrayList<>(jobs.size());
        jobs.values().forEach(e -> out.add(e.record));
        return out;
    }

    /** The job {@code id}; {@link JobException.NotFound} if there is none (or {@code id} is not a job id). */
    public synchronized JobRecord get(String id) {
        return entry(id).record;
    }

    /**
     * Asks the job to stop: a queued job is cancelled at once, a running one at its next check
     * (between objects or clones); returns the job as it is now. A finished job cannot be
     * cancelled ({@link JobException.WrongState}).
     */
    public synchronized JobRecord cancel(String id) {
        Entry e = entry(id);
        JobState s = e.record.state();
        if (s.finished()) {
            throw new JobException.WrongState("job " + id + " already " + s.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (s == JobState.QUEUED) {
            waiting.remove(id);
            finish(e, JobState.CANCELLED, e.record.result(), null);
        } else {
            e.cancelAsked = true;
            e.context.cancel();
            LOG.info("job {} ({} {}): cancel asked", id, e.record.kind(), e.record.target());
        }
        return e.record;
    }

    private Entry entry(String id) {
        Entry e = JobIds.valid(id) ? jobs.get(id) : null;
        if (e == null) {
            throw new JobException.NotFound("no job " + id);
        }
        return e;
    }

    private void startWaiting() {
        while (!closed && running < config.maxRunning() && !waiting.isEmpty()) {
            Entry e = jobs.get(waiting.poll());
            e.record = e.record.started(System.currentTimeMillis());
            e.context = new JobContext(e.record, sink);
            store.save(e.record);
            e.lastSavedNanos = System.nanoTime();
            running++;
            Entry job = e;
            threads.execute(() -> run(job));
        }
    }

    private void run(Entry e) {
        Object result;
        try {
            result = e.task.run(e.context);
        } catch (JobContext.Cancelled c) {
            ended(e, JobState.CANCELLED, null, null);
            return;
        } catch (Exception | Error t) {
            if (t instanceof Error && !(t instanceof AssertionError)) {
                LOG.error("job {} ({} {}) died", e.record.id(), e.record.kind(), e.record.target(), t);
            } else {
                LOG.warn("job {} ({} {}) failed: {}", e.record.id(), e.record.kind(), e.record.target(), t.toString());
            }
            ended(e, JobState.FAILED, null, JobFailures.of(t));
            return;
        }
        ended(e, e.context.cancelled() ? JobState.CANCELLED : JobState.SUCCEEDED, result, null);
    }

    private synchronized void ended(Entry e, JobState state, Object result, JobFailure failure) {
        running--;
        if (closed && state == JobState.CANCELLED && !e.cancelAsked) {
            JobType type = types.get(e.record.kind());
            if (type.resumable()) {
                store.save(e.record); // left RUNNING on disk: the next start continues after its checkpoint
                LOG.info("job {} ({} {}) stopped with the router; it continues at the next start", e.record.id(),
                        e.record.kind(), e.record.target());
                return;
            }
            finish(e, JobState.FAILED, result == null ? e.record.result() : json.valueToTree(result),
                    new JobFailure("router-stopped", "Router stopped", 503, type.interruptedDetail(e.record)));
            return;
        }
        JsonNode value = result == null ? e.record.result() : json.valueToTree(result);
        finish(e, state, value, failure);
        startWaiting();
    }

    private void finish(Entry e, JobState state, JsonNode result, JobFailure failure) {
        e.record = e.record.finished(state, result, failure, System.currentTimeMillis());
        e.task = null;
        store.save(e.record);
        LOG.info("job {} ({} {}) {}", e.record.id(), e.record.kind(), e.record.target(),
                state.name().toLowerCase(java.util.Locale.ROOT));
        trimFinished();
    }

    private void trimFinished() {
        List<Entry> finished = new ArrayList<>();
        for (Entry e : jobs.values()) {
            if (e.record.state().finished()) {
                finished.add(e);
            }
        }
        int excess = finished.size() - config.maxFinished();
        if (excess <= 0) {
            return;
        }
        finished.sort(Comparator.comparingLong((Entry e) -> e.record.finishedMillis())
                .thenComparingLong(e -> e.record.createdMillis()));
        for (int i = 0; i < excess; i++) {
            String id = finished.get(i).record.id();
            jobs.remove(id);
            store.delete(id);
        }
    }

    private final JobContext.Sink sink = new JobContext.Sink() {
        @Override
        public void progress(String id, long done, long total, long bytes) {
            synchronized (JobService.this) {
                Entry e = jobs.get(id);
                e.record = e.record.withProgress(done, total, bytes);
                if (System.nanoTime() - e.lastSavedNanos >= config.saveInterval().toNanos()) {
                    store.save(e.record);
                    e.lastSavedNanos = System.nanoTime();
                }
            }
        }

        @Override
        public void checkpoint(String id, String checkpoint, long done, long total, long bytes) {
            synchronized (JobService.this) {
                Entry e = jobs.get(id);
                e.record = e.record.withProgress(done, total, bytes).withCheckpoint(checkpoint);
                store.save(e.record);
                e.lastSavedNanos = System.nanoTime();
            }
        }
    };

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (Entry e : jobs.values()) {
                if (e.context != null && e.record.state() == JobState.RUNNING) {
                    e.context.cancel();
                }
            }
        }
        threads.shutdown();
        try {
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("jobs still running 10 s after the close; they are failed or resumed at the next start");
                threads.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            threads.shutdownNow();
        }
    }
}
