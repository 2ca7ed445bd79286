package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code clone} job: {@code count} thin clones of {@code parent} (at {@code snapshot}, or the
 * template's / latest snapshot) named {@code prefix1..prefixN}, one after the other; progress is
 * clones made of {@code count}, the result the volumes made. Every name is checked free before
 * the job is accepted. A cancel stops between clones (the ones made stay). Not resumable: a
 * restart fails the job, naming how many were made.
 */
public final class CloneJobs implements JobType {
    /** The most clones one job makes. */
    public static final int MAX_CLONES = 10_000;

    private final VolumeService volumes;

    public CloneJobs(VolumeService volumes) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
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
        if (volumes.info(parent).isEmpty()) {
            throw new VolumeNotFoundException("no volume " + parent);
        }
        List<String> names = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            names.add(prefix + i);
        }
        for (String n : names) {
            if (volumes.info(n).isPresent()) {
                throw new VolumeConflictException("volume " + n + " exists; no clone was created");
            }
        }
        return context -> {
            List<VolumeInfo> made = new ArrayList<>();
            context.progress(0, count, 0);
            for (String n : names) {
                if (context.cancelled()) {
                    break;
                }
                made.add(volumes.clone(parent, snapshot, n));
                context.progress(made.size(), count, 0);
            }
            return made;
        };
    }

    @Override
    public String interruptedDetail(JobRecord job) {
        return "the router stopped after " + job.done() + " of " + job.total() + " clones of "
                + job.params().get("parent") + " (" + job.params().get("prefix") + "1..); clone jobs do not resume:"
                + " list the volumes and create the missing clones again";
    }

    private static String required(Map<String, String> params, String key) {
        String v = params.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("field '" + key + "' is required");
        }
        return v;
    }
}
