package io.scoria.benchmarks.replication;

import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.replicator.ReplicationConfig;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The peer of {@code scoria replicate run} in {@code benchmarks/replication/run.sh}: a plain copy
 * of the same objects (every SCO and TLog of a namespace) from the replication config's source to
 * a namespace of its target, with {@code parallelism} threads each doing whole-object GET then PUT
 * through the same S3 client, no checks, no ordering. Prints objects, bytes, seconds and MiB/s.
 *
 * <pre>java -cp benchmarks.jar io.scoria.benchmarks.replication.PlainCopy CONFIG NAMESPACE TARGET_NAMESPACE PARALLELISM</pre>
 */
public final class PlainCopy {
    private PlainCopy() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: PlainCopy CONFIG NAMESPACE TARGET_NAMESPACE PARALLELISM");
            System.exit(2);
        }
        ReplicationConfig c = ReplicationConfig.read(Path.of(args[0]));
        String ns = args[1];
        String to = args[2];
        int parallelism = Integer.parseInt(args[3]);
        try (ObjectStore source = c.source().open(); ObjectStore target = c.target().open()) {
            List<ObjectInfo> objects = new ArrayList<>(source.listAll(ns, "sco/"));
            objects.addAll(source.listAll(ns, "tlog/"));
            if (!target.namespaceExists(to)) {
                target.createNamespace(to);
            }
            AtomicLong bytes = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(parallelism);
            long t0 = System.nanoTime();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (ObjectInfo o : objects) {
                    done.add(pool.submit(() -> {
                        ByteBuffer data = source.get(ns, o.key());
                        bytes.addAndGet(data.remaining());
                        target.put(to, o.key(), data);
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "plain-copy: %d objects, %.1f MiB in %.2f s (%.1f MiB/s)%n", objects.size(),
                    bytes.get() / 1048576.0, secs, bytes.get() / 1048576.0 / secs);
        }
    }
}
