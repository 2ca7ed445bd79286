package io.scoria.accelerator.control;

import io.scoria.accelerator.HydrationStep;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.backend.config.Sizes;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code hydrate} job: copies every cluster a clone still reads from its parent chain into the
 * clone's own history ({@link VolumeService#hydrate}, step by step from cluster 0 to the end), then
 * checks that the clone is {@link VolumeInfo#INDEPENDENT}; if not (a reset or rollback during the pass
 * made it read from its parent again) it makes another pass, at most {@link #MAX_PASSES}.
 *
 * <p>Pacing: a rate limit, {@code rate} bytes copied per second (default {@link #DEFAULT_RATE}; {@code 0}:
 * none). The job sleeps between steps to stay under it, so the clone's foreground I/O competes with at
 * most that much backend reading and flash appending, whatever the foreground does. A rate limit was
 * chosen over yielding to foreground I/O because it bounds the job's share without sampling the
 * frontends' load (which the control layer does not see) and keeps the job's duration predictable.
 *
 * <p>Resumable: before each checkpoint (about every second, and at the end of a pass) the clone is
 * flushed, so everything copied before it is durable; the checkpoint is {@code PASS:CLUSTER}, and a
 * restart continues there. Progress is the cluster reached of the clone's clusters in the current pass,
 * and bytes copied. A cancel stops between steps (what was copied stays). Thread-safe.
 */
public final class HydrateJobs implements JobType {
    /** Default pace: 32 MiB copied per second. */
    public static final long DEFAULT_RATE = 32L << 20;
    /** Passes over the clone before the job gives up. */
    public static final int MAX_PASSES = 3;
    /** Clusters asked for per step (the engine caps a step at 1 MiB). */
    private static final int STEP_CLUSTERS = 256;
    private static final long CHECKPOINT_EVERY_NANOS = 1_000_000_000L;

    /** What a finished job did. */
    public record Result(String volume, long clusters, long copiedClusters, long copiedBytes, long skippedClusters,
                         int passes, String cloneState) {
    }

    private final VolumeService volumes;

    public HydrateJobs(VolumeService volumes) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
    }

    /** The parameters of a job: {@code volume} and, if not null, {@code rate} (bytes per second, human units). */
    public static Map<String, String> params(String volume, String rate) {
        Map<String, String> p = new HashMap<>();
        p.put("volume", volume);
        if (rate != null) {
            p.put("rate", rate);
        }
        return p;
    }

    @Override
    public String kind() {
        return "hydrate";
    }

    @Override
    public boolean resumable() {
        return true;
    }

    @Override
    public JobTask task(Map<String, String> params, String checkpoint) {
        String volume = params.get("volume");
        if (volume == null || volume.isBlank()) {
            throw new IllegalArgumentException("field 'volume' is required");
        }
        for (String k : params.keySet()) {
            if (!k.equals("volume") && !k.equals("rate")) {
                throw new IllegalArgumentException("hydrate takes 'volume' and 'rate', not '" + k + "'");
            }
        }
        long rate = params.get("rate") == null ? DEFAULT_RATE : rate(params.get("rate"));
        VolumeInfo info = volumes.info(volume).orElseThrow(() -> new VolumeNotFoundException("no volume " + volume));
        if (info.parent() == null) {
            throw new VolumeConflictException("volume " + volume + " is not a clone (or is flattened): nothing to hydrate");
        }
        if (info.template()) {
            throw new VolumeConflictException("volume " + volume + " is a read-only template: it is not hydrated");
        }
        int pass = 1;
        long from = 0;
        if (checkpoint != null) {
            int colon = checkpoint.indexOf(':');
            try {
                pass = Integer.parseInt(checkpoint.substring(0, colon));
                from = Long.parseLong(checkpoint.substring(colon + 1));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a hydrate checkpoint: " + checkpoint);
            }
        }
        int firstPass = pass;
        long start = from;
        long clusters = info.spec().sizeBytes() / info.spec().clusterSize();
        return context -> run(context, volume, info.spec().clusterSize(), clusters, rate, firstPass, start);
    }

    private Result run(JobContext context, String volume, int clusterSize, long clusters, long rate, int firstPass, long start)
            throws InterruptedException {
        long copied = context.job().bytes() / clusterSize;
        long skipped = 0;
        long pacedBytes = 0;
        long pacedSince = System.nanoTime();
        long lastCheckpoint = pacedSince;
        long cursor = start;
        context.progress(cursor, clusters, copied * clusterSize);
        for (int pass = firstPass; ; pass++) {
            while (cursor < clusters) {
                context.checkCancelled();
                HydrationStep step = volumes.hydrate(volume, cursor, STEP_CLUSTERS);
                cursor = step.nextCluster();
                copied += step.copied();
                skipped += step.skipped();
                pacedBytes += (long) step.copied() * clusterSize;
                long now = System.nanoTime();
                if (now - lastCheckpoint >= CHECKPOINT_EVERY_NANOS) {
                    checkpoint(context, volume, pass, cursor, clusters, copied * clusterSize);
                    lastCheckpoint = now;
                } else {
                    context.progress(cursor, clusters, copied * clusterSize);
                }
                pace(context, rate, pacedBytes, pacedSince);
            }
            checkpoint(context, volume, pass, cursor, clusters, copied * clusterSize);
            String state = volumes.info(volume).map(VolumeInfo::cloneState).orElse(null);
            if (VolumeInfo.INDEPENDENT.equals(state)) {
                return new Result(volume, clusters, copied, copied * clusterSize, skipped, pass, state);
            }
            if (pass >= MAX_PASSES) {
                throw new VolumeConflictException("clone " + volume + " still reads from its parent after " + pass + " passes"
                        + " (was it reset or rolled back while the job ran?); submit the job again");
            }
            cursor = 0;
        }
    }

    private static long rate(String text) {
        try {
            return Sizes.parse("rate", text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("rate must be bytes per second such as 32MiB (0: no limit): " + text, e);
        }
    }

    /** Makes what was copied durable, then records where to continue. */
    private void checkpoint(JobContext context, String volume, int pass, long cursor, long clusters, long bytes) {
        volumes.open(volume).flush();
        context.checkpoint(pass + ":" + cursor, cursor, clusters, bytes);
    }

    /** Sleeps until {@code bytes} copied since {@code sinceNanos} are within {@code rate} bytes per second. */
    private static void pace(JobContext context, long rate, long bytes, long sinceNanos) throws InterruptedException {
        if (rate <= 0) {
            return;
        }
        long due = sinceNanos + (long) (bytes * 1e9 / rate);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            context.checkCancelled();
            Thread.sleep(Math.min(100, Math.max(1, wait / 1_000_000)));
        }
    }
}
