package io.scoria.it.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.it.harness.ManagedProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code scoria serve} processes of a cluster test: each node its own JVM (through the
 * {@code ./scoria} launcher, optionally behind a command prefix such as {@code ip netns exec NS}), data
 * directory and ports (ephemeral, kept for the node's lifetime so that a restarted node is found where
 * it was) on its own listening address (loopback unless given), all on one backend, one FOC server and
 * one ZooKeeper. Closing kills whatever still runs.
 */
final class ClusterNodes implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One node: its id, address, ports and process (null while down). */
    static final class Node {
        final String id;
        /** The address its NBD, iSCSI and API listeners bind to, which it advertises and clients use. */
        final String host;
        /** Put before {@code ./scoria serve ...} (e.g. {@code ip netns exec NS}); empty: none. */
        final List<String> launcher;
        final int nbdPort = ManagedProcess.freePort();
        final int iscsiPort = ManagedProcess.freePort();
        final int apiPort = ManagedProcess.freePort();
        final Path dataDir;
        final String advertisedFoc;
        ManagedProcess process;
        int starts;

        Node(String id, String host, List<String> launcher, Path dataDir, String advertisedFoc) {
            this.id = id;
            this.host = host;
            this.launcher = List.copyOf(launcher);
            this.dataDir = dataDir;
            this.advertisedFoc = advertisedFoc;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }
    }

    private final Path dir;
    private final Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
    private final String zookeeper;
    private final String backendYaml;
    private final String focYaml;
    private final HttpClient http = HttpClient.newHttpClient();
    final Map<String, Node> nodes = new LinkedHashMap<>();
    /** {@code cluster.sessionTimeout} of the nodes started from now on. */
    String sessionTimeout = "4s";

    ClusterNodes(Path dir, String zookeeper, String backendYaml, String focYaml) {
        this.dir = dir;
        this.zookeeper = zookeeper;
        this.backendYaml = backendYaml;
        this.focYaml = focYaml;
    }

    /** The repository root (where the {@code scoria} launcher is). */
    Path repo() {
        return repo;
    }

    Node add(String id, String advertisedFoc) {
        return add(id, advertisedFoc, "127.0.0.1", List.of());
    }

    /** A node listening on {@code host}, started behind {@code launcher}. */
    Node add(String id, String advertisedFoc, String host, List<String> launcher) {
        Node n = new Node(id, host, launcher, dir.resolve(id), advertisedFoc);
        nodes.put(id, n);
        return n;
    }

    /** Starts (or restarts) {@code n} and waits until it serves and is registered in the cluster. */
    void start(Node n) throws Exception {
        Path cfg = dir.resolve(n.id + "-" + (++n.starts) + ".yaml");
        Files.writeString(cfg, "dataDir: " + n.dataDir + "\n"
                + "nbd: {host: " + n.host + ", port: " + n.nbdPort + "}\n"
                + "iscsi: {host: " + n.host + ", port: " + n.iscsiPort + "}\n"
                + "api: {host: " + n.host + ", port: " + n.apiPort + "}\n"
                + "backend: " + backendYaml + "\n"
                + "cache: {clusterCache: 16MiB, scoCache: 64MiB}\n"
                + "volumes: {scoSize: 1MiB}\n"
                + "foc: " + focYaml + "\n"
                + "cluster: {zookeeper: '" + zookeeper + "', nodeId: " + n.id + ", sessionTimeout: " + sessionTimeout + ", takeoverGrace: 1s"
                + (n.advertisedFoc == null ? "" : ", advertise: {foc: '" + n.advertisedFoc + "'}") + "}\n");
        List<String> command = new ArrayList<>(n.launcher);
        command.addAll(List.of(repo.resolve("scoria").toString(), "serve", "--config", cfg.toString()));
        n.process = ManagedProcess.start("scoria-" + n.id, command, dir, dir.resolve(n.id + ".log"));
        n.process.awaitReady(Duration.ofSeconds(120), () -> Files.exists(n.dataDir.resolve("admin.token"))
                && ManagedProcess.listening(n.host, n.apiPort) && ManagedProcess.listening(n.host, n.nbdPort) && registered(n));
    }

    private boolean registered(Node n) {
        return registered(n, n);
    }

    /** True when node {@code asker} lists node {@code n} as a live member (false also if {@code asker} does not answer). */
    boolean registered(Node asker, Node n) {
        try {
            for (JsonNode m : status(asker).get("nodes")) {
                if (m.get("node").asText().equals(n.id)) {
                    return true;
                }
            }
            return false;
        } catch (Exception notYet) {
            return false;
        }
    }

    HttpRequest.Builder api(Node n, String path) throws IOException {
        String token = Files.readString(n.dataDir.resolve("admin.token")).strip();
        return HttpRequest.newBuilder(URI.create("http://" + n.host + ":" + n.apiPort + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10));
    }

    /** {@code GET /v1/cluster} of node {@code n}. */
    JsonNode status(Node n) throws Exception {
        HttpResponse<String> r = http.send(api(n, "/v1/cluster").build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /v1/cluster on " + n.id + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** The entry of {@code volume} in a {@code GET /v1/cluster} answer; fails if it has none. */
    static JsonNode volume(JsonNode status, String volume) {
        for (JsonNode v : status.get("volumes")) {
            if (v.get("volume").asText().equals(volume)) {
                return v;
            }
        }
        throw new AssertionError("no " + volume + " in " + status);
    }

    /** The owner of {@code volume} as node {@code n} sees it, or null. */
    String owner(Node n, String volume) throws Exception {
        for (JsonNode v : status(n).get("volumes")) {
            if (v.get("volume").asText().equals(volume)) {
                return v.get("owner").isNull() ? null : v.get("owner").asText();
            }
        }
        return null;
    }

    void createVolume(Node n, String name, String size) throws Exception {
        HttpResponse<String> r = http.send(api(n, "/v1/volumes").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"size\":\"" + size + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("create volume " + name + " on " + n.id + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    /** Waits until a live node other than {@code victim} owns {@code volume}; returns it. */
    Node awaitOwnerOtherThan(Node victim, String volume, long boundMs, String what) throws Exception {
        long deadline = System.nanoTime() + boundMs * 1_000_000L;
        while (System.nanoTime() < deadline) {
            for (Node n : nodes.values()) {
                if (n != victim && n.alive()) {
                    try {
                        String o = owner(n, volume);
                        if (o != null && !o.equals(victim.id)) {
                            return nodes.get(o);
                        }
                    } catch (Exception busy) {
                        // the node's API is busy or restarting: ask the next
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(what + ": no node took " + volume + " over from " + victim.id + " within " + boundMs + " ms");
    }

    /**
     * Connects to {@code owner} (retrying while it opens the volume) and verifies every block of {@code log};
     * returns the ms from {@code sinceNanos} to the connection being served.
     */
    long connectAndVerify(Node owner, String volume, AckLog log, long sinceNanos, long boundMs, String what) throws Exception {
        long deadline = System.nanoTime() + boundMs * 1_000_000L;
        while (true) {
            try (NbdLoad nbd = new NbdLoad(owner.host, owner.nbdPort, volume)) {
                long servingMs = (System.nanoTime() - sinceNanos) / 1_000_000;
                StringBuilder errors = new StringBuilder();
                long bad = nbd.verify(log, errors);
                if (bad != 0) {
                    throw new AssertionError(what + ": " + bad + " acknowledged writes lost on node " + owner.id + ": "
                            + errors + "\n" + owner.process.logTail(40));
                }
                return servingMs;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(what + ": node " + owner.id + " owns " + volume + " but does not serve it: "
                            + notYet + "\n" + owner.process.logTail(40), notYet);
                }
                Thread.sleep(100);
            }
        }
    }

    /** {@code POST /v1/volumes/VOLUME/move} {"to": to} on node {@code n}. */
    HttpResponse<String> move(Node n, String volume, String to) throws Exception {
        return http.send(api(n, "/v1/volumes/" + volume + "/move").timeout(Duration.ofSeconds(90))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"to\":\"" + to + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sends SIGTERM to {@code n} and waits until it exited; returns its exit code. */
    int stop(Node n, Duration bound) throws Exception {
        Process p = n.process.process();
        p.destroy();
        if (!p.waitFor(bound.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new AssertionError("node " + n.id + " did not exit within " + bound + " of SIGTERM:\n" + n.process.logTail(40));
        }
        return p.exitValue();
    }

    @Override
    public void close() {
        for (Node n : nodes.values()) {
            if (n.process != null) {
                n.process.kill9();
            }
        }
    }
}
