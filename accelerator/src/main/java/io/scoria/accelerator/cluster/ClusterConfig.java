package io.scoria.accelerator.cluster;

import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.Durations;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * {@code cluster}: this router is one node of a cluster coordinated by ZooKeeper. Without the
 * section {@code scoria serve} is a single node and needs no ZooKeeper. Immutable; validated here,
 * errors are {@link ConfigException}s naming the key.
 *
 * <pre>
 * cluster:
 *   zookeeper: 127.0.0.1:2181,127.0.0.1:2182   # ZooKeeper connect string (required)
 *   nodeId: node-a                             # unique in the cluster (required): [A-Za-z0-9._-], 1-64
 *   root: /scoria                              # znode under which the cluster keeps its state
 *   sessionTimeout: 10s                        # ZooKeeper session: a dead owner's volumes move after this
 *   connectTimeout: 15s                        # how long start-up waits for ZooKeeper
 *   takeoverGrace: 3s                          # how long other nodes leave an orphaned volume to its FOC node
 *   advertise: {nbd: 10.0.0.1:10809, iscsi: 10.0.0.1:3260, foc: 10.0.0.1:10900, api: 10.0.0.1:8080}
 *                                              # addresses other nodes and clients use; default: the
 *                                              # listeners' host and bound port; foc: none
 * </pre>
 */
public record ClusterConfig(String zookeeper, String nodeId, String root, String sessionTimeout, String connectTimeout,
                            String takeoverGrace, Advertise advertise) {
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern ROOT = Pattern.compile("(/[A-Za-z0-9._-]+)+");
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9.:\\[\\]_-]+:\\d{1,5}");

    public ClusterConfig {
        check(zookeeper != null && !zookeeper.isBlank(), "zookeeper", "is required: the ZooKeeper connect string, "
                + "e.g. 127.0.0.1:2181");
        for (String server : zookeeper.split("/", 2)[0].split(",")) {
            check(ENDPOINT.matcher(server.strip()).matches(), "zookeeper", "expected HOST:PORT[,HOST:PORT...], got '"
                    + zookeeper + "'");
        }
        check(nodeId != null, "nodeId", "is required: this node's name, unique in the cluster");
        check(NODE_ID.matcher(nodeId).matches(), "nodeId", "must be 1-64 of [A-Za-z0-9._-]: '" + nodeId + "'");
        root = root != null ? root : "/scoria";
        check(ROOT.matcher(root).matches(), "root", "must be an absolute znode path like /scoria: '" + root + "'");
        sessionTimeout = sessionTimeout != null ? sessionTimeout : "10s";
        connectTimeout = connectTimeout != null ? connectTimeout : "15s";
        takeoverGrace = takeoverGrace != null ? takeoverGrace : "3s";
        Duration session = Durations.parse("sessionTimeout", sessionTimeout);
        check(session.toMillis() >= 1000 && session.toMillis() <= 120_000, "sessionTimeout",
                "must be 1s-120s: " + sessionTimeout);
        check(!Durations.parse("connectTimeout", connectTimeout).isZero(), "connectTimeout", "must be positive");
        Durations.parse("takeoverGrace", takeoverGrace);
        advertise = advertise != null ? advertise : new Advertise(null, null, null, null);
    }

    /** Addresses other nodes and clients use to reach this node, HOST:PORT each; null: derive it (foc: none). */
    public record Advertise(String nbd, String iscsi, String foc, String api) {
        public Advertise {
            checkEndpoint("nbd", nbd);
            checkEndpoint("iscsi", iscsi);
            checkEndpoint("foc", foc);
            checkEndpoint("api", api);
        }

        private static void checkEndpoint(String key, String value) {
            check(value == null || ENDPOINT.matcher(value).matches(), key, "expected HOST:PORT, got '" + value + "'");
        }
    }

    public Duration sessionTimeoutDuration() {
        return Durations.parse("cluster.sessionTimeout", sessionTimeout);
    }

    public Duration connectTimeoutDuration() {
        return Durations.parse("cluster.connectTimeout", connectTimeout);
    }

    public Duration takeoverGraceDuration() {
        return Durations.parse("cluster.takeoverGrace", takeoverGrace);
    }

    private static void check(boolean ok, String key, String message) {
        ConfigException.check(ok, key, message);
    }
}
