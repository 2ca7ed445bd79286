package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The {@code scrub} job: runs {@code scoria-scrub} on a volume's namespace as a child process
 * ({@link ScrubProgram}), logging its output, then applies the result at once (the function given,
 * {@code ScrubApplier.applyPending}) instead of waiting for the applier's next poll. Progress is 0
 * of 1 until the scrub and the apply are done. A cancel stops the process (a scrub leaves nothing
 * half-done: its next run removes what a stopped run wrote). Not resumable: a restart fails the job
 * and the next scheduled snapshot or check starts another. Thread-safe.
 */
public final class ScrubJobs implements JobType {
    /** The kind's name. */
    public static final String KIND = "scrub";
    /** The parameter naming the volume. */
    public static final String VOLUME = "volume";
    private static final Logger LOG = LoggerFactory.getLogger(ScrubJobs.class);
    private static final int KEPT_LINES = 20;

    /** The scrub process failed; its last lines are in the message. */
    public static final class ScrubFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ScrubFailedException(String message) {
            super(message);
        }
    }

    /** What a scrub job did: the scrub's own summary line and what applying its result did. */
    public record Result(String volume, String namespace, double seconds, String scrub, Object applied) {
    }

    private final VolumeService volumes;
    private final ScrubProgram program;
    private final Function<String, Object> apply;

    /**
     * @param apply applies the waiting scrub results of a volume and returns what happened (a value
     *              Jackson can write)
     */
    public ScrubJobs(VolumeService volumes, ScrubProgram program, Function<String, Object> apply) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.program = Objects.requireNonNull(program, "program");
        this.apply = Objects.requireNonNull(apply, "apply");
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public boolean resumable() {
        return false;
    }

    @Override
    public String interruptedDetail(JobRecord job) {
        return "the router stopped while it scrubbed " + job.params().get(VOLUME) + "; scrub jobs do not resume"
                + " (the next run removes what this one wrote): the next scheduled snapshot starts another";
    }

    @Override
    public JobTask task(Map<String, String> params, String checkpoint) {
        String volume = params.get(VOLUME);
        if (volume == null || volume.isBlank()) {
            throw new IllegalArgumentException("field '" + VOLUME + "' is required");
        }
        if (params.size() != 1) {
            throw new IllegalArgumentException("scrub takes only '" + VOLUME + "': " + params.keySet());
        }
        VolumeInfo info = volumes.info(volume).orElseThrow(() -> new VolumeNotFoundException("no volume " + volume));
        return context -> run(context, volume, info.namespace());
    }

    private Result run(JobContext context, String volume, String namespace) throws InterruptedException {
        long start = System.nanoTime();
        context.progress(0, 1, 0);
        try {
            Files.createDirectories(program.scratch());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the scrub scratch directory " + program.scratch(), e);
        }
        Process p;
        try {
            p = new ProcessBuilder(program.command(namespace)).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new ScrubFailedException("cannot start scoria-scrub (" + program.jar() + "): " + e.getMessage());
        }
        Deque<String> last = new ArrayDeque<>();
        Thread reader = new Thread(() -> readLines(p, volume, last), "scrub-output-" + volume);
        reader.setDaemon(true);
        reader.start();
        while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
            if (context.cancelled()) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
                context.checkCancelled();
            }
        }
        reader.join(5000);
        List<String> lines;
        synchronized (last) {
            lines = List.copyOf(last);
        }
        if (p.exitValue() != 0) {
            throw new ScrubFailedException("scoria-scrub of " + volume + " exited with " + p.exitValue() + ": "
                    + String.join(" | ", lines));
        }
        Object applied = apply.apply(volume);
        context.progress(1, 1, 0);
        return new Result(volume, namespace, (System.nanoTime() - start) / 1e9,
                lines.isEmpty() ? "" : lines.get(lines.size() - 1), applied);
    }

    private static void readLines(Process p, String volume, Deque<String> last) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                LOG.info("volume {}: {}", volume, line);
                synchronized (last) {
                    last.addLast(line);
                    if (last.size() > KEPT_LINES) {
                        last.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("volume {}: scrub output ended: {}", volume, e.getMessage());
        }
    }
}
