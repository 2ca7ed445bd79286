package io.scoria.accelerator.control;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.distributor.JobProgress;
import io.scoria.distributor.Policy;
import io.scoria.distributor.store.Distributor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The distributor's long operations as jobs over every namespace of the router's distributor
 * backend: {@code repair} (verify every fragment, rebuild missing or corrupt ones, refill stores
 * that came back empty), {@code rebalance} (also move fragments to the current placement) and
 * {@code reencode} (rewrite objects with the {@code policy} parameter, e.g. {@code 8+3}).
 * Progress is objects handled of the objects counted at the start, and their bytes; the
 * checkpoint is {@code <namespace>TAB<last key>}, so a restart continues after the last
 * checkpointed object. A job that leaves objects it could not fix (too few fragments or stores
 * now) fails, naming how many. Thread-safe.
 */
public final class DistributorJobs implements JobType {
    /** Namespaces and keys never hold a tab, so it separates them in a checkpoint. */
    private static final char SEPARATOR = '\t';
    private static final long CHECKPOINT_EVERY_NANOS = 2_000_000_000L;

    /** What a job did over all namespaces. */
    public record Result(String job, int namespaces, long objects, long bytes, long fragmentsChecked,
                         long fragmentsMissing, long fragmentsRebuilt, long fragmentsMoved, long manifestsWritten,
                         long objectsReencoded, long objectsFailed) {
        Result plus(JobProgress p) {
            return new Result(job, namespaces + (p.finished() ? 1 : 0), objects + p.objects(), bytes + p.bytes(),
                    fragmentsChecked + p.fragmentsChecked(), fragmentsMissing + p.fragmentsMissing(),
                    fragmentsRebuilt + p.fragmentsRebuilt(), fragmentsMoved + p.fragmentsMoved(),
                    manifestsWritten + p.manifestsWritten(), objectsReencoded + p.objectsReencoded(),
                    objectsFailed + p.objectsFailed());
        }
    }

    /** The three kinds. */
    public enum Kind { REPAIR, REBALANCE, REENCODE }

    private final Distributor distributor;
    private final Kind kind;

    public DistributorJobs(Distributor distributor, Kind kind) {
        this.distributor = Objects.requireNonNull(distributor, "distributor");
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** The job types of all three kinds on {@code distributor}. */
    public static List<JobType> all(Distributor distributor) {
        List<JobType> types = new ArrayList<>();
        for (Kind k : Kind.values()) {
            types.add(new DistributorJobs(distributor, k));
        }
        return types;
    }

    @Override
    public String kind() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public boolean resumable() {
        return true;
    }

    @Override
    public JobTask task(Map<String, String> params, String checkpoint) {
        Policy target = null;
        if (kind == Kind.REENCODE) {
            String policy = params.get("policy");
            if (policy == null || policy.isBlank()) {
                throw new IllegalArgumentException("field 'policy' is required (e.g. 8+3)");
            }
            target = Policy.parse(policy);
            int stores = distributor.config().stores().size();
            if (target.totalFragments() > stores) {
                throw new IllegalArgumentException("policy " + policy + " needs " + target.totalFragments()
                        + " stores, the distributor has " + stores);
            }
        } else if (!params.isEmpty()) {
            throw new IllegalArgumentException(kind() + " takes no parameters: " + params.keySet());
        }
        String resumeNs = null;
        String resumeKey = null;
        if (checkpoint != null) {
            int tab = checkpoint.indexOf(SEPARATOR);
            if (tab < 0) {
                throw new IllegalArgumentException("not a " + kind() + " checkpoint: " + checkpoint);
            }
            resumeNs = checkpoint.substring(0, tab);
            resumeKey = tab + 1 == checkpoint.length() ? null : checkpoint.substring(tab + 1);
        }
        Policy policy = target;
        String fromNs = resumeNs;
        String fromKey = resumeKey;
        return context -> run(context, policy, fromNs, fromKey);
    }

    private Result run(JobContext context, Policy policy, String fromNs, String fromKey) {
        List<String> namespaces = new ArrayList<>(distributor.listNamespaces());
        namespaces.sort(null);
        long total = 0;
        for (String ns : namespaces) {
            if (fromNs == null || ns.compareTo(fromNs) >= 0) {
                total += distributor.listAll(ns, "").size();
            }
        }
        long before = context.job().done();
        long beforeBytes = context.job().bytes();
        long all = total + before;
        Result sum = new Result(kind(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        context.progress(before, all, beforeBytes);
        long[] lastCheckpoint = {System.nanoTime()};
        for (String ns : namespaces) {
            if (fromNs != null && ns.compareTo(fromNs) < 0) {
                continue;
            }
            String after = ns.equals(fromNs) ? fromKey : null;
            long doneBefore = before + sum.objects();
            long bytesBefore = beforeBytes + sum.bytes();
            JobProgress p = switch (kind) {
                case REPAIR -> distributor.repair(ns, after, q -> report(context, ns, q, doneBefore, bytesBefore, all,
                        lastCheckpoint), context::cancelled);
                case REBALANCE -> distributor.rebalance(ns, after, q -> report(context, ns, q, doneBefore, bytesBefore,
                        all, lastCheckpoint), context::cancelled);
                case REENCODE -> distributor.reencode(ns, policy, after, q -> report(context, ns, q, doneBefore,
                        bytesBefore, all, lastCheckpoint), context::cancelled);
            };
            sum = sum.plus(p);
            if (!p.finished()) {
                context.checkpoint(ns + SEPARATOR + (p.lastKey() == null ? "" : p.lastKey()), before + sum.objects(),
                        all, beforeBytes + sum.bytes());
                return sum;
            }
        }
        if (sum.objectsFailed() > 0) {
            throw new BackendUnavailableException(kind() + " could not fix " + sum.objectsFailed() + " of "
                    + sum.objects() + " objects now (too few fragments or stores answered); run it again when the"
                    + " stores are back: " + sum);
        }
        return sum;
    }

    private static void report(JobContext context, String ns, JobProgress q, long doneBefore, long bytesBefore,
                               long total, long[] lastCheckpoint) {
        long done = doneBefore + q.objects();
        long bytes = bytesBefore + q.bytes();
        if (System.nanoTime() - lastCheckpoint[0] >= CHECKPOINT_EVERY_NANOS && q.lastKey() != null) {
            context.checkpoint(ns + SEPARATOR + q.lastKey(), done, Math.max(total, done), bytes);
            lastCheckpoint[0] = System.nanoTime();
        } else {
            context.progress(done, Math.max(total, done), bytes);
        }
    }
}
