package io.scoria.accelerator.control;


import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code clone} job: {@code count} thin clones of {@code parent} (at {@code snapshot}, or the
 * template's / latest snapshot) named {@code prefix1..prefixN}, as one clone set of the
 * {@link VolumeLifecycle}: all or none. Everything is checked before the job is accepted (names free,
 * parent and snapshot exist); progress is clones made of {@code count}, the result the volumes made. A
 * failure or a cancel removes the clones made; a restart finds the set rolled back by the lifecycle
 * journal. Not resumable.
 */
public final class CloneJobs implements JobType {
    /** The most clones one job makes. */
    public static final int MAX_CLONES = VolumeLifecycle.MAX_CLONES;

    private final VolumeLifecycle lifecycle;

    public CloneJobs(VolumeLifecycle lifecycle) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    }

    /** The parameters of a job: {@code parent}, {@code prefix}, {@code count}, optional {@code snapshot}. */
    public static Map<String, String> params(String parent, String snapshot, String prefix, int count) {
        Map<String, String> p = new java.util.HashMap<>();
        p.put("parent", parent);
        p.put("prefix", prefix);
        p.put("count", Integer.toString(count));
        if (snapshot != null) {
            p.put("snapshot", snapshot);
        }
        return p;
    }

    @Override
    public String kind() {
        return "clone";
    }

    @Override
    public boolean resumable() {
        return false;
    }

    @Override
    public JobTask task(Map<String, String> params, String checkpoint) {
        String parent = required(params, "parent");
        String prefix = required(params, "prefix");
        String snapshot = params.get("snapshot");
        int count;
        try {
            count = Integer.parseInt(required(params, "count"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("count must be a number: " + params.get("count"));
        }
        if (count < 1 || count > MAX_CLONES) {
            throw new IllegalArgumentException("count must be 1-" + MAX_CLONES + ": " + count);
        }
        List<String> names = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            names.add(prefix + i);
        }
        lifecycle.checkCloneSet(parent, snapshot, names);
        return context -> {
            context.progress(0, count, 0);
            try {
                return lifecycle.cloneSet(parent, snapshot, names, new VolumeLifecycle.CloneProgress() {
                    @Override
                    public void made(int done) {
                        context.progress(done, count, 0);
                    }

                    @Override
                    public boolean cancelled() {
                        return context.cancelled();
                    }
                });
            } catch (CloneSetFailedException e) {
                if (context.cancelled()) {
                    throw new JobContext.Cancelled(e.getMessage());
                }
                throw e;
            }
        };
    }

    @Override
    public String interruptedDetail(JobRecord job) {
        return "the router stopped after " + job.done() + " of " + job.total() + " clones of "
                + job.params().get("parent") + " (" + job.params().get("prefix") + "1..); at its start the lifecycle"
                + " journal removed the clones made (a clone set is all or none): create them again";
    }

    private static String required(Map<String, String> params, String key) {
        String v = params.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("field '" + key + "' is required");
        }
        return v;
    }
}
