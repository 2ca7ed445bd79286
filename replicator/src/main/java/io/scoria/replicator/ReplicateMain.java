package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.metering.CountingObjectStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code scoria-replicate} (also {@code ./scoria replicate ...}): disaster-recovery replication of
 * volumes from a source backend to a target backend, configured by a YAML file with
 * {@code source:}, {@code target:} and optional {@code replication:} sections
 * ({@link ReplicationConfig}). Subcommands: {@code run}, {@code verify}, {@code promote VOL},
 * {@code failback VOL}. Exit codes: 0 ok, 1 failed (a volume stopped, a check failed), 2 usage.
 */
@Command(name = "scoria-replicate", mixinStandardHelpOptions = true,
        description = "Ships volumes to a second backend, verifies replicas, promotes them and fails back.",
        subcommands = {ReplicateMain.Run.class, ReplicateMain.Verify.class, ReplicateMain.Promote.class, ReplicateMain.FailBack.class})
public final class ReplicateMain {
    private final PrintStream out;

    private ReplicateMain(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs with the given arguments; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        ReplicateMain main = new ReplicateMain(out);
        CommandLine cmd = new CommandLine(main, new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (Sub.class.isAssignableFrom(cls)) {
                    K k = cls.getDeclaredConstructor().newInstance();
                    ((Sub) k).out = out;
                    return k;
                }
                return CommandLine.defaultFactory().create(cls);
            }
        });
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            err.println("scoria-replicate: error: " + e.getMessage());
            return 1;
        });
        return cmd.execute(args);
    }

    /** Options every subcommand has. */
    abstract static class Sub {
        PrintStream out;

        @Option(names = "--config", required = true, description = "YAML file with 'source:' and 'target:' backend sections")
        Path config;
    }

    /** {@code --volume} and {@code --pattern}: override the config's selection of volumes. */
    static final class Selection {
        @Option(names = "--volume", description = "a volume (repeatable); default: the config's selection")
        List<String> volumes = List.of();

        @Option(names = "--pattern", description = "a glob over volume names, e.g. 'vm*'")
        String pattern;

        ReplicationConfig.Replication applyTo(ReplicationConfig.Replication r) {
            r = volumes.isEmpty() ? r : r.withVolumes(volumes);
            return pattern == null ? r : r.withPattern(pattern);
        }
    }

    /** When {@code run} draws its progress bar. */
    enum Progress {
        auto, always, never
    }

    @Command(name = "run", description = "Replicate the selected volumes, continuously or --once.")
    static final class Run extends Sub implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Mixin
        Selection selection = new Selection();

        @Option(names = "--once", description = "one pass over the volumes, then exit")
        boolean once;

        @Option(names = "--mode", description = "continuous (every sealed TLog) or snapshot (up to the last snapshot)")
        String mode;

        @Option(names = "--bandwidth-limit", description = "bytes per second over all volumes, e.g. 100MiB; 0 = unlimited")
        String bandwidthLimit;

        @Option(names = "--progress", description = "progress bar: ${COMPLETION-CANDIDATES} (default: auto, on a terminal)")
        Progress progress = Progress.auto;

        private boolean progressBar() {
            return switch (progress) {
                case auto -> System.console() != null && out == System.out;
                case always -> true;
                case never -> false;
            };
        }

        @Option(names = "--metrics-port", description = "serve Prometheus metrics at http://127.0.0.1:PORT/metrics (default: off)")
        Integer metricsPort;

        @Override
        public Integer call() throws InterruptedException {
            ReplicationConfig c = ReplicationConfig.read(config);
            ReplicationConfig.Replication r = selection.applyTo(c.replication());
            r = mode == null ? r : r.withMode(mode);
            r = bandwidthLimit == null ? r : r.withBandwidthLimit(bandwidthLimit);
            try (ObjectStore source = c.source().open(); ObjectStore target = c.target().open();
                 ReplicationJob job = new ReplicationJob(source, target, r, out, progressBar())) {
                out.println("scoria-replicate: " + c.source().describe() + " -> " + c.target().describe());
                MetricsEndpoint metrics = metricsPort == null ? null : new MetricsEndpoint(metricsPort, job.counters());
                if (metrics != null) {
                    out.println("scoria-replicate: metrics at http://127.0.0.1:" + metrics.port() + "/metrics");
                }
                Thread hook = new Thread(job::stop, "scoria-replicate-stop");
                Runtime.getRuntime().addShutdownHook(hook);
                try {
                    boolean ok = once ? job.runOnce() : job.runContinuously();
                    out.println("scoria-replicate: " + job.counters());
                    printRequests(out, "source", source);
                    printRequests(out, "target", target);
                    return ok ? 0 : 1;
                } finally {
                    removeHook(hook);
                    if (metrics != null) {
                        metrics.close();
                    }
                }
            }
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running or ran
        }
    }

    @Command(name = "verify", description = "Compare what the target holds with the source, by checksums.")
    static final class Verify extends Sub implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Mixin
        Selection selection = new Selection();

        @Override
        public Integer call() {
            ReplicationConfig c = ReplicationConfig.read(config);
            ReplicationConfig.Replication r = selection.applyTo(c.replication());
            int problems = 0;
            try (ObjectStore source = c.source().open(); ObjectStore target = c.target().open()) {
                for (String ns : target.listNamespaces()) {
                    if (!r.selects(ns) || ReplicaRoles.state(target, ns).isEmpty()) {
                        continue;
                    }
                    ReplicaVerifier.Report report = ReplicaVerifier.verify(source, target, ns);
                    out.println("scoria-replicate: verify " + report.summary());
                    report.problems().forEach(p -> out.println("  " + p));
                    problems += report.problems().size();
                }
            }
            return problems == 0 ? 0 : 1;
        }
    }

    @Command(name = "promote", description = "Make the replica of VOL on the target the writable volume at its last consistent point.")
    static final class Promote extends Sub implements java.util.concurrent.Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VOL")
        String volume;

        @Override
        public Integer call() {
            ReplicationConfig c = ReplicationConfig.read(config);
            long started = System.nanoTime();
            try (ObjectStore target = c.target().open()) {
                Promotion.Promoted p = Promotion.promote(target, volume);
                out.printf(Locale.ROOT, "scoria-replicate: promoted %s on %s at epoch %d: manifest generation %d, %d TLogs "
                                + "(last %d), %d snapshots, in %.1f s; replication into it has stopped%n", volume, target.name(),
                        p.epoch(), p.manifest().generation(), p.manifest().allTlogs().size(), p.manifest().lastRouterTlog(),
                        p.manifest().snapshots().size(), (System.nanoTime() - started) / 1e9);
            }
            return 0;
        }
    }

    @Command(name = "failback", description = "Ship the promoted VOL's writes since the last common point back to the source "
            + "and make the source the primary again.")
    static final class FailBack extends Sub implements java.util.concurrent.Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VOL")
        String volume;

        @Option(names = "--bandwidth-limit", description = "bytes per second, e.g. 100MiB; 0 = unlimited")
        String bandwidthLimit;

        @Override
        public Integer call() {
            ReplicationConfig c = ReplicationConfig.read(config);
            ReplicationConfig.Replication r = bandwidthLimit == null ? c.replication()
                    : c.replication().withBandwidthLimit(bandwidthLimit);
            ReplicationCounters counters = new ReplicationCounters();
            try (ObjectStore a = c.source().open(); ObjectStore b = c.target().open();
                 ObjectTransfer transfer = new ObjectTransfer(r.parallelism(), new BandwidthLimit(r.bytesPerSecond()), counters)) {
                Failback.Result res = new Failback(a, b, volume, transfer).run();
                out.printf(Locale.ROOT, "scoria-replicate: failback %s: last common TLog %d (%d TLogs in common); shipped %d TLogs, "
                                + "%d bytes back to %s; manifest generation %d there%n", volume, res.lastCommonTlog(),
                        res.commonTlogs(), res.tlogsShippedBack(), res.bytesShippedBack(), a.name(),
                        res.generationOnA());
                if (res.divergedVolume() != null) {
                    out.println("scoria-replicate: the " + res.divergedTlogs() + " TLogs written on " + a.name()
                            + " after the common point are kept as volume '" + res.divergedVolume() + "' there");
                }
                out.println("scoria-replicate: " + volume + " on " + a.name() + " is the primary again and " + b.name()
                        + " a replica; before a router on the old primary serves it, remove its local state of the volume");
                printRequests(out, "source", a);
                printRequests(out, "target", b);
            }
            return 0;
        }
    }

    /** The requests a run made of one backend, as its provider counts them (for a distributor: its stores). */
    static void printRequests(PrintStream out, String side, ObjectStore store) {
        CountingObjectStore.find(store).ifPresent(c -> out.println("scoria-replicate: " + side + " backend requests: "
                + c.ledger().billed(null).summary()));
    }
}
