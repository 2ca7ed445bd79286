package io.scoria.replicator;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The terminal progress bar of {@code run}: one line, redrawn with a carriage return after every
 * shipped TLog of a volume's pass, with the TLogs done of those the pass ships, the bytes and
 * objects shipped, the rate since the pass began and the replica's lag after its last publish.
 * Drawn only when enabled (the job's output is a terminal); otherwise every method does nothing,
 * and the per-pass log lines stay the only output. Not thread-safe: the job's thread calls it.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean enabled;
    private final ReplicationCounters counters;
    private String volume;
    private int total;
    private int done;
    private long startBytes;
    private long startNanos;
    private boolean drawn;

    ProgressBar(PrintStream out, boolean enabled, ReplicationCounters counters) {
        this.out = out;
        this.enabled = enabled;
        this.counters = counters;
    }

    /** A pass of {@code volume} that ships {@code tlogs} TLogs begins. */
    synchronized void begin(String volume, int tlogs) {
        this.volume = volume;
        this.total = tlogs;
        this.done = 0;
        this.startBytes = counters.bytesShipped();
        this.startNanos = System.nanoTime();
        if (tlogs > 0) {
            draw();
        }
    }

    /** One more TLog (and its SCOs) shipped. */
    synchronized void advance() {
        done++;
        draw();
    }

    /** The pass ended: the bar's line is finished so that log lines start on their own. */
    synchronized void end() {
        if (enabled && drawn) {
            out.println();
            out.flush();
            drawn = false;
        }
    }

    /** The line as drawn (without the carriage return). */
    String line() {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        double secs = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        double mib = (counters.bytesShipped() - startBytes) / 1048576.0;
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d TLogs, %.1f MiB, %.1f MiB/s, %d objects, lag %.1f s", volume,
                "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, mib, mib / secs, counters.objectsShipped(),
                counters.lagMillis() / 1000.0);
    }

    private void draw() {
        if (!enabled) {
            return;
        }
        out.print("\r" + line());
        out.flush();
        drawn = true;
    }
}
