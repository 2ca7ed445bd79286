package io.scoria.scrubber;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Objects;

/**
 * A scrub job's progress and result as a Prometheus text file, for node_exporter's textfile
 * collector ({@code --collector.textfile.directory}) or any agent that reads such files: a batch
 * job that ends before a scrape cannot be scraped, so it leaves its figures where the node's
 * exporter finds them. Written when the job starts ({@code scoria_scrub_running 1}) and when it
 * ends, successful or not; each write goes to a temporary file renamed over the target, so a
 * reader never sees half a file. Every series carries the scrubbed namespace as a label. Not
 * thread-safe (one job, one thread).
 */
public final class ScrubMetricsFile {
    private final Path file;
    private final String namespace;

    public ScrubMetricsFile(Path file, String namespace) {
        this.file = Objects.requireNonNull(file, "file");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
    }

    /** The job started now. */
    public void started() {
        StringBuilder b = new StringBuilder();
        gauge(b, "scoria_scrub_running", "1 while a scrub job of the namespace runs", 1);
        gauge(b, "scoria_scrub_start_timestamp_seconds", "when the scrub job started, Unix time",
                System.currentTimeMillis() / 1000.0);
        write(b);
    }

    /** The job ended: {@code report} when it succeeded, null when it failed. */
    public void finished(ScrubReport report, double startSeconds) {
        double now = System.currentTimeMillis() / 1000.0;
        StringBuilder b = new StringBuilder();
        gauge(b, "scoria_scrub_running", "1 while a scrub job of the namespace runs", 0);
        gauge(b, "scoria_scrub_last_run_timestamp_seconds", "when the last scrub job of the namespace ended, Unix time", now);
        gauge(b, "scoria_scrub_last_success", "1 if the last scrub job of the namespace succeeded, 0 if it failed",
                report == null ? 0 : 1);
        gauge(b, "scoria_scrub_duration_seconds", "wall time of the last scrub job", report == null ? now - startSeconds
                : report.seconds());
        if (report != null) {
            gauge(b, "scoria_scrub_scos_examined", "SCOs the last scrub job examined", report.scosExamined());
            gauge(b, "scoria_scrub_scos_rewritten", "SCOs the last scrub job rewrote", report.scosRewritten());
            gauge(b, "scoria_scrub_examined_bytes", "SCO bytes the last scrub job examined", report.examinedBytes());
            gauge(b, "scoria_scrub_reclaimable_bytes", "bytes freed once the last scrub result is applied",
                    report.reclaimedBytes());
            gauge(b, "scoria_scrub_relocations", "clusters the last scrub job moved", report.relocations());
        }
        write(b);
    }

    private void gauge(StringBuilder b, String name, String help, double value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n")
                .append(name).append("{namespace=\"").append(labelValue(namespace)).append("\"} ")
                .append(String.format(Locale.ROOT, "%.3f", value)).append('\n');
    }

    private static String labelValue(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private void write(StringBuilder b) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the scrub metrics file " + file + ": " + e.getMessage(), e);
        }
    }
}
