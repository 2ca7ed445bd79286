package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Follows a job until it ends ({@code --wait}): polls {@code GET /v1/jobs/ID} twice a second and
 * shows its progress, as a bar redrawn in place on a terminal, else as plain lines (one when the
 * progress changed, at most every 5 s). Returns the finished job; a failed or cancelled job
 * throws with its problem detail, so the command exits non-zero. Used by one command thread.
 */
final class JobWaiter {
    private static final long POLL_MILLIS = 500;
    private static final long PLAIN_EVERY_MILLIS = 5_000;
    private static final int BAR = 30;

    private final ApiClient client;
    private final PrintWriter out;
    private final boolean terminal;

    JobWaiter(ApiClient client, PrintWriter out, boolean terminal) {
        this.client = client;
        this.out = out;
        this.terminal = terminal;
    }

    /** True when the program's output is an interactive terminal. */
    static boolean onTerminal() {
        return System.console() != null;
    }

    JsonNode await(JsonNode job) {
        String id = job.get("id").asText();
        long lastPrinted = 0;
        String lastLine = "";
        JsonNode now = job;
        while (!finished(now)) {
            String line = line(now);
            if (terminal) {
                out.print("\r" + line + "   ");
                out.flush();
            } else if (!line.equals(lastLine) && System.currentTimeMillis() - lastPrinted >= PLAIN_EVERY_MILLIS) {
                out.println(line);
                out.flush();
                lastPrinted = System.currentTimeMillis();
                lastLine = line;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for job " + id + " (it keeps running)");
            }
            now = client.get("/v1/jobs/" + ApiClient.seg(id));
        }
        if (terminal) {
            out.print("\r");
        }
        out.println(line(now));
        out.flush();
        String state = now.get("state").asText();
        if (state.equals("failed")) {
            JsonNode error = now.get("error");
            throw new IllegalStateException("job " + id + " failed: "
                    + (error != null && error.hasNonNull("detail") ? error.get("detail").asText() : "no reason given"));
        }
        if (state.equals("cancelled")) {
            throw new IllegalStateException("job " + id + " was cancelled");
        }
        return now;
    }

    static boolean finished(JsonNode job) {
        String s = job.get("state").asText();
        return s.equals("succeeded") || s.equals("failed") || s.equals("cancelled");
    }

    /** One line: {@code j-... repair running [#####     ] 50% 10/20 4.0 MiB 2.0/s ETA 5s}. */
    static String line(JsonNode job) {
        JsonNode p = job.get("progress");
        long done = p.get("done").asLong();
        long total = p.get("total").asLong();
        StringBuilder b = new StringBuilder();
        b.append(job.get("id").asText()).append(' ').append(job.get("kind").asText()).append(' ')
                .append(job.get("target").asText()).append(' ').append(job.get("state").asText()).append(' ');
        if (total > 0) {
            int filled = (int) Math.min(BAR, BAR * done / total);
            b.append('[').append("#".repeat(filled)).append(" ".repeat(BAR - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%% ", 100 * done / total));
        }
        b.append(done).append('/').append(total > 0 ? Long.toString(total) : "?");
        long bytes = p.get("bytes").asLong();
        if (bytes > 0) {
            b.append(' ').append(io.scoria.backend.config.Sizes.format(bytes));
        }
        b.append(String.format(Locale.ROOT, " %.1f/s", p.get("itemsPerSecond").asDouble()));
        long eta = p.get("etaSeconds").asLong();
        if (eta > 0 && job.get("state").asText().equals("running")) {
            b.append(" ETA ").append(eta).append('s');
        }
        return b.toString();
    }
}
