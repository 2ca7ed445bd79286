package io.scoria.benchmarks.replication;

import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.replicator.ReplicationConfig;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Samples how far a replica lags behind its source, once a second for a given time, for
 * {@code benchmarks/replication/run.sh}: the replica's newest manifest names a last TLog; every
 * write acknowledged before that TLog was sealed is on the replica, later ones may not be. A
 * sample is {@code now - (time the source backend received that TLog)}: the writes a promote at
 * that moment would lose span this long plus the router's delay from sealing that TLog to its
 * upload, which this does not see (small under a steady load: one TLog put after its SCOs).
 * Prints every sample and the maximum, mean and 95th percentile.
 *
 * <pre>java -cp benchmarks.jar io.scoria.benchmarks.replication.ReplicaLag CONFIG NAMESPACE SECONDS</pre>
 */
public final class ReplicaLag {
    private ReplicaLag() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ReplicaLag CONFIG NAMESPACE SECONDS");
            System.exit(2);
        }
        ReplicationConfig c = ReplicationConfig.read(Path.of(args[0]));
        String ns = args[1];
        int seconds = Integer.parseInt(args[2]);
        double[] samples = new double[seconds];
        int n = 0;
        try (ObjectStore source = c.source().open(); ObjectStore target = c.target().open()) {
            VolumeManifestStore replica = new VolumeManifestStore(target);
            for (int i = 0; i < seconds; i++) {
                long next = System.currentTimeMillis() + 1000;
                Optional<VolumeManifest> m = target.namespaceExists(ns) ? replica.readLatest(ns) : Optional.empty();
                long last = m.map(VolumeManifest::lastRouterTlog).orElse(0L);
                if (last > 0) {
                    try {
                        long at = source.stat(ns, NamespaceLayout.tlogKey(last)).lastModified().toEpochMilli();
                        samples[n] = (System.currentTimeMillis() - at) / 1000.0;
                        System.out.printf(Locale.ROOT, "lag-sample: %.1f s (replica at TLog %d)%n", samples[n], last);
                        n++;
                    } catch (NotFoundException e) {
                        System.out.println("lag-sample: TLog " + last + " not on the source (scrubbed?)");
                    }
                }
                Thread.sleep(Math.max(0, next - System.currentTimeMillis()));
            }
        }
        if (n == 0) {
            System.out.println("lag: no sample (nothing replicated yet)");
            return;
        }
        double[] s = Arrays.copyOf(samples, n);
        Arrays.sort(s);
        double mean = Arrays.stream(s).average().orElse(0);
        System.out.printf(Locale.ROOT, "lag: %d samples, max %.1f s, mean %.1f s, p95 %.1f s%n", n, s[n - 1], mean,
                s[Math.min(n - 1, (int) Math.ceil(n * 0.95) - 1)]);
    }
}
