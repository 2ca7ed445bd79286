package io.scoria.accelerator.cli;

import io.scoria.accelerator.foc.FocSecret;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.accelerator.metrics.MetricsHttpEndpoint;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code scoria foc-server}: runs a fail-over cache server until SIGINT/SIGTERM. */
@Command(name = "foc-server", mixinStandardHelpOptions = true,
        description = "Run a fail-over cache (FOC) server that keeps other nodes' not-yet-uploaded writes.")
final class FocServerCommand implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(FocServerCommand.class);
    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "address to listen on")
    String listen;
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "directory of the FOC's files")
    Path dir;
    @Option(names = "--secret-file", paramLabel = "FILE", description = "file holding the cluster's shared FOC"
            + " secret (at least 16 bytes); required unless --listen is a loopback address")
    Path secretFile;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "this node's certificate (PEM): with --tls-key and"
            + " --tls-ca, every connection is mutual TLS and must present a certificate the cluster CA signed")
    Path tlsCert;
    @Option(names = "--tls-key", paramLabel = "FILE", description = "the private key of --tls-cert (PEM, PKCS#8)")
    Path tlsKey;
    @Option(names = "--tls-ca", paramLabel = "FILE", description = "the cluster CA's certificate (PEM): the only issuer"
            + " accepted for clients")
    Path tlsCa;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", description = "serve Prometheus metrics at"
            + " http://HOST:PORT/metrics (unauthenticated: keep it on loopback or a monitoring network); port 0 picks one")
    String metricsListen;

    @Override
    public void run() {
        FocSecret secret = secretFile == null ? null : FocSecret.readFile(secretFile);
        if ((tlsCert == null) != (tlsKey == null) || (tlsCert == null) != (tlsCa == null)) {
            throw new IllegalArgumentException("--tls-cert, --tls-key and --tls-ca go together (mutual TLS with the"
                    + " cluster's CA)");
        }
        io.scoria.accelerator.foc.FocTls tls = tlsCert == null ? null
                : io.scoria.accelerator.foc.FocTls.load(tlsCert, tlsKey, tlsCa);
        FocServer server = new FocServer(FocServer.parseHostPort(listen), dir, secret, tls);
        MetricsHttpEndpoint endpoint;
        try {
            endpoint = metricsListen == null ? null : metrics(server);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (endpoint != null) {
                endpoint.close();
            }
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

    private MetricsHttpEndpoint metrics(FocServer server) {
        PrometheusMeterRegistry registry = ScoriaMetrics.newRegistry();
        registerGauges(registry, server);
        MetricsHttpEndpoint endpoint = new MetricsHttpEndpoint(FocServer.parseHostPort(metricsListen), registry);
        LOG.info("FOC server metrics on http://{}:{}/metrics", FocServer.parseHostPort(metricsListen).getHostString(),
                endpoint.port());
        return endpoint;
    }

    /** The FOC server's gauges (volumes, connections, free disk), also registered by an embedded server. */
    static void registerGauges(MeterRegistry registry, FocServer server) {
        Gauge.builder("scoria.foc.server.volumes", server, FocServer::volumeCount)
                .description("volumes whose not-yet-uploaded writes this fail-over cache server keeps").register(registry);
        Gauge.builder("scoria.foc.server.connections", server, FocServer::connectionCount)
                .description("open connections from routers").register(registry);
        Gauge.builder("scoria.foc.server.disk.free", server, s -> s.directory().toFile().getUsableSpace())
                .baseUnit("bytes").description("usable bytes on the file system of the server's directory")
                .register(registry);
    }
}
