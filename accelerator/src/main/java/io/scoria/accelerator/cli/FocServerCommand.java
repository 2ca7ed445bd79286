package io.scoria.accelerator.cli;

import io.scoria.accelerator.foc.FocSecret;
import io.scoria.accelerator.foc.server.FocServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code scoria foc-server}: runs a fail-over cache server until SIGINT/SIGTERM. */
@Command(name = "foc-server", mixinStandardHelpOptions = true,
        description = "Run a fail-over cache (FOC) server that keeps other nodes' not-yet-uploaded writes.")
final class FocServerCommand implements Runnable {
    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "address to listen on")
    String listen;
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "directory of the FOC's files")
    Path dir;
    @Option(names = "--secret-file", paramLabel = "FILE", description = "file holding the cluster's shared FOC"
            + " secret (at least 16 bytes); required unless --listen is a loopback address")
    Path secretFile;

    @Override
    public void run() {
        FocSecret secret = secretFile == null ? null : FocSecret.readFile(secretFile);
        FocServer server = new FocServer(FocServer.parseHostPort(listen), dir, secret);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "foc-server-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
        }
    }
}
