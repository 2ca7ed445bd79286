package io.scoria.accelerator.cli;

import io.scoria.accelerator.config.ConfigLoader;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code scoria serve}: runs the router until SIGINT/SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the storage router: volumes over NBD and the management REST API.",
                "Without --config: data under ./scoria-data (fs backend), NBD on 127.0.0.1:10809,"
                        + " REST API and /metrics on 127.0.0.1:8080.",
                "The REST API needs a bearer token; an admin token is written once to <dataDir>/admin.token (mode 0600)",
                "and the CLI reads ./scoria-data/admin.token by default."})
final class ServeCommand implements Runnable {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file")
    Path config;

    @Override
    public void run() {
        ScoriaConfig cfg = config == null ? ScoriaConfig.embeddedDefault() : ConfigLoader.load(config);
        try {
            Files.createDirectories(cfg.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create dataDir " + cfg.dataDir() + ": " + e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        var registry = ScoriaMetrics.newRegistry();
        VolumeServices.Router router = VolumeServices.openRouter(cfg, registry);
        ScoriaDaemon daemon = new ScoriaDaemon(cfg, router, registry);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "scoria-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            daemon.close();
        }
    }
}
