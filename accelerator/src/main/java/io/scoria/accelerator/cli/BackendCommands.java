package io.scoria.accelerator.cli;

import io.scoria.accelerator.config.ConfigLoader;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.backend.config.Sizes;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.check.BackendCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code scoria backend check}: the backend self-check on the configured store; {@code backend cost};
 * {@code backend rotate-keys} ({@link RotateKeysCommand}).
 */
@Command(name = "backend", mixinStandardHelpOptions = true,
        description = "Check the configured backend store; estimate what its requests cost; rotate its key-encryption key.",
        subcommands = {BackendCommands.Check.class, BackendCostCommand.class, RotateKeysCommand.class})
final class BackendCommands extends CommandGroup {
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Put, get, range-get, stat and delete a probe object on the backend of the config",
                    "(or of the embedded default), verifying every byte; prints latency and throughput."})
    static final class Check implements Runnable {
        @Spec
        CommandSpec spec;
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file")
        Path config;
        @Option(names = "--namespace", defaultValue = "scoria-check", paramLabel = "NS",
                description = "namespace to probe in (default: ${DEFAULT-VALUE}; removed again if created)")
        String namespace;
        @Option(names = "--probe-size", defaultValue = "4MiB", paramLabel = "SIZE",
                description = "probe object size (default: ${DEFAULT-VALUE})")
        String probeSize;

        @Override
        public void run() {
            ScoriaConfig cfg = config == null ? ScoriaConfig.embeddedDefault() : ConfigLoader.load(config);
            long probe = Sizes.parse("--probe-size", probeSize);
            if (probe > (256 << 20)) {
                throw new IllegalArgumentException("--probe-size must be at most 256MiB: " + probeSize);
            }
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            BackendCheck.Result result;
            try (ObjectStore store = VolumeServices.backend(cfg);
                 PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
                result = new BackendCheck(store, namespace, (int) probe).run(out);
            }
            spec.commandLine().getOut().print(buffer.toString(StandardCharsets.UTF_8));
            if (!result.ok()) {
                throw new IllegalStateException("backend check failed: " + result.message());
            }
            spec.commandLine().getOut().println("backend check passed: " + result.message());
        }
    }
}
