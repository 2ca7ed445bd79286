package io.scoria.scrubber;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.scoria.backend.ObjectStore;
import io.scoria.distributor.config.BackendConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code scoria-scrub}: runs one scrub job against a backend described by a YAML file whose
 * {@code backend:} section is the same as {@code scoria serve}'s (other sections are ignored),
 * so the job can run on any machine that reaches the backend.
 */
@Command(name = "scoria-scrub", mixinStandardHelpOptions = true,
        description = "Compacts a volume's SCOs on the backend and writes a scrub result for the router to apply.")
public final class ScrubMain implements Callable<Integer> {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

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
        Path base = config.toAbsolutePath().getParent();
        try (ObjectStore store = backend.open(base)) {
            out.println("scoria-scrub: " + backend.describe() + ", namespace " + namespace);
            new Scrubber(store, job, out).run();
        }
        return 0;
    }

    /** Reads the {@code backend:} section of a scoria YAML config file. */
    public static BackendConfig readBackend(Path file) {
        try {
            JsonNode root = YAML.readTree(Files.readString(file));
            JsonNode backend = root == null ? null : root.get("backend");
            if (backend == null) {
                throw new IllegalArgumentException(file + " has no 'backend:' section");
            }
            return YAML.treeToValue(backend, BackendConfig.class);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file not found: " + file);
        } catch (IOException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new IllegalArgumentException(file + ": " + (root instanceof IllegalArgumentException ? root.getMessage()
                    : e.getMessage().lines().findFirst().orElse("")), e);
        }
    }
}
