package io.scoria.scrubber;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.distributor.config.BackendConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code scoria-scrub}: runs one scrub job against a backend described by a YAML file whose
 * {@code backend:} section is the same as {@code scoria serve}'s (other sections are ignored),
 * read by the same {@link ConfigReader} (relative paths from the file's directory, secrets from
 * files or environment variables), so the job can run on any machine that reaches the backend.
 */
@Command(name = "scoria-scrub", mixinStandardHelpOptions = true,
        description = "Compacts a volume's SCOs on the backend and writes a scrub result for the router to apply.")
public final class ScrubMain implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "YAML file with a 'backend:' section")
    Path config;

    @Option(names = "--namespace", required = true, description = "the volume namespace to scrub")
    String namespace;

    @Option(names = "--snapshot", description = "snapshot to scrub (repeatable); default: every unscrubbed snapshot")
    List<String> snapshots = List.of();

    @Option(names = "--threshold", defaultValue = "0.5", description = "rewrite SCOs with a live fraction below this (default ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--scratch", description = "local scratch directory (default: the system temp directory)")
    Path scratch;

    @Option(names = "--lease-ttl-seconds", defaultValue = "120", description = "namespace lease validity (default ${DEFAULT-VALUE})")
    long leaseTtlSeconds;

    @Option(names = "--metrics-file", description = "write the job's progress and result in the Prometheus text format"
            + " to this file (for node_exporter's textfile collector: a file ending in .prom in its directory)")
    Path metricsFile;

    private final PrintStream out;

    public ScrubMain(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs with the given arguments; returns the exit code (0 ok, 1 failed, 2 usage). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cmd = new CommandLine(new ScrubMain(out));
        cmd.setErr(new java.io.PrintWriter(err, true));
        cmd.setOut(new java.io.PrintWriter(out, true));
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            err.println("scoria-scrub: error: " + e.getMessage());
            return 1;
        });
        return cmd.execute(args);
    }

    @Override
    public Integer call() {
        BackendConfig backend = readBackend(config);
        ScrubConfig job = new ScrubConfig(namespace, snapshots, threshold,
                scratch != null ? scratch : Path.of(System.getProperty("java.io.tmpdir")), Duration.ofSeconds(leaseTtlSeconds));
        try (ObjectStore store = backend.open()) {
            out.println("scoria-scrub: " + backend.describe() + ", namespace " + namespace);
            ScrubMetricsFile metrics = metricsFile == null ? null : new ScrubMetricsFile(metricsFile, namespace);
            double start = System.currentTimeMillis() / 1000.0;
            if (metrics != null) {
                metrics.started();
            }
            ScrubReport report = null;
            try {
                report = new Scrubber(store, job, out).run();
            } finally {
                if (metrics != null) {
                    metrics.finished(report, start);
                }
                CountingObjectStore.find(store).ifPresent(c -> out.println("scoria-scrub: backend requests: "
                        + c.ledger().billed(null).summary()));
            }
        }
        return 0;
    }

    /** Reads the {@code backend:} section of a scoria YAML config file. */
    public static BackendConfig readBackend(Path file) {
        return ConfigReader.read(file).section("backend", BackendConfig.class);
    }
}
