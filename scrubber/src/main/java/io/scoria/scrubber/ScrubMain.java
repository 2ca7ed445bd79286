package io.scoria.scrubber;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.config.Durations;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.distributor.config.BackendConfig;
import io.scoria.sco.scrub.ScrubWorkQueue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code scoria-scrub}: runs one scrub job against a backend described by a YAML file whose
 * {@code backend:} section is the same as {@code scoria serve}'s (other sections are ignored),
 * read by the same {@link ConfigReader} (relative paths from the file's directory, secrets from
 * files or environment variables), so the job can run on any machine that reaches the backend.
 * With {@code --worker} it scrubs, one after the other, the volumes that routers published as
 * scrub work ({@link ScrubWorker}) until SIGTERM.
 */
@Command(name = "scoria-scrub", mixinStandardHelpOptions = true,
        description = "Compacts a volume's SCOs on the backend and writes a scrub result for the router to apply.")
public final class ScrubMain implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "YAML file with a 'backend:' section")
    Path config;

    @Option(names = "--namespace", description = "the volume namespace to scrub (required unless --worker)")
    String namespace;

    @Option(names = "--worker", description = "take scrub work that routers publish on the backend, until SIGTERM")
    boolean worker;

    @Option(names = "--poll-interval", defaultValue = "30s", description = "--worker: how long to wait (give or"
            + " take 20 percent) after finding no work, 100ms-1h (default ${DEFAULT-VALUE})")
    String pollInterval;

    @Option(names = "--max-attempts", defaultValue = "3", description = "--worker: failed scrubs of one work item"
            + " before it is rejected (default ${DEFAULT-VALUE})")
    int maxAttempts;

    @Option(names = "--stop-timeout", defaultValue = "25s", description = "--worker: on SIGTERM, how long to wait for the"
            + " running scrub to stop and remove its partial outputs (default ${DEFAULT-VALUE})")
    String stopTimeout;

    @Spec
    CommandSpec spec;

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
    public Integer call() throws InterruptedException {
        if (worker) {
            return work();
        }
        if (namespace == null) {
            throw new ParameterException(spec.commandLine(), "--namespace is required (or --worker to take published work)");
        }
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

    private int work() throws InterruptedException {
        if (namespace != null || !snapshots.isEmpty() || metricsFile != null) {
            throw new ParameterException(spec.commandLine(), "--worker takes its volumes from the work queue:"
                    + " --namespace, --snapshot and --metrics-file do not apply");
        }
        ScrubWorker.Settings settings;
        Duration stopWait;
        try {
            settings = new ScrubWorker.Settings(Durations.parse("--poll-interval", pollInterval), scratchRoot(),
                    Duration.ofSeconds(leaseTtlSeconds), maxAttempts);
            stopWait = Durations.parse("--stop-timeout", stopTimeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        BackendConfig backend = readBackend(config);
        try (ObjectStore store = backend.open()) {
            store.listNamespaces(); // a wrong endpoint or credentials fail here, before the loop
            ScrubWorker w = new ScrubWorker(store, settings, out);
            Thread hook = new Thread(() -> {
                w.stop();
                try {
                    if (w.awaitStopped(stopWait)) {
                        out.println("scoria-scrub worker: stopped on request");
                    } else {
                        out.println("scoria-scrub worker: the running scrub did not stop within " + stopWait
                                + "; its lease expires and the next scrub of the volume removes what it wrote");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "scoria-scrub-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            out.println("scoria-scrub worker: " + backend.describe() + ", queue " + ScrubWorkQueue.NAMESPACE
                    + ", polling every " + settings.pollInterval() + " (pid " + ProcessHandle.current().pid() + ")");
            w.run();
        }
        return 0;
    }

    private Path scratchRoot() {
        Path dir = scratch != null ? scratch : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("--scratch " + dir + " cannot be created: " + e.getMessage());
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("--scratch " + dir + " is not writable");
        }
        return dir;
    }

    /** Reads the {@code backend:} section of a scoria YAML config file. */
    public static BackendConfig readBackend(Path file) {
        return ConfigReader.read(file).section("backend", BackendConfig.class);
    }
}
