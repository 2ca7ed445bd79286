package io.scoria.accelerator.cli;

import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.cluster.ClusterNode;
import io.scoria.accelerator.cluster.LocalCopies;
import io.scoria.accelerator.config.ConfigLoader;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two {@link ScoriaDaemon}s as nodes of one cluster (a real ZooKeeper server in the JVM): {@code scoria
 * cluster status} and {@code GET /v1/cluster} show both nodes and the volume's owner, with the API's
 * usual authentication; the other node refuses the volume with a 409 naming the owner; a router without
 * a cluster section answers 404.
 */
class ClusterStatusCliTest {
    @TempDir
    Path dir;
    private TestingServer zk;
    private final List<ScoriaDaemon> daemons = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void tearDown() throws Exception {
        daemons.forEach(ScoriaDaemon::close);
        if (zk != null) {
            zk.close();
        }
    }

    /** A daemon on an in-memory engine (volumes shared through {@code engine}) as cluster node {@code id}. */
    private ScoriaDaemon node(String id, InMemoryVolumeService engine) {
        ScoriaConfig cfg = ConfigLoader.parse("dataDir: " + dir.resolve(id) + "\nnbd: {port: 0}\napi: {port: 0}\n"
                + "iscsi: {enabled: false}\ncluster: {zookeeper: '" + zk.getConnectString() + "', nodeId: " + id
                + ", sessionTimeout: 2s}\n", "test");
        ClusterNode node = ClusterNode.connect(cfg.cluster(), null);
        VolumeService volumes = node.volumes(engine, new LocalCopies() {
            @Override
            public void close(String volume) {
                // the in-memory engine keeps no open state per volume
            }

            @Override
            public void closeAndUpload(String volume, java.time.Duration timeout) {
                // nor anything to upload
            }

            @Override
            public void forget(String volume) {
                // nor a local copy
            }
        });
        ScoriaDaemon d = new ScoriaDaemon(cfg, ScoriaDaemon.apiSettings(cfg), volumes, ScoriaMetrics.newRegistry(), null, node);
        daemons.add(d);
        return d;
    }

    private static String cli(ScoriaDaemon d, Path dataDir, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + d.apiPort(), "--token-file", dataDir.resolve("admin.token").toString()));
        int code = ScoriaMain.execute(full.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        return out.toString();
    }

    private HttpResponse<String> get(ScoriaDaemon d, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.apiPort() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusShowsNodesOwnersAndEpochsWithTheApisAuthentication() throws Exception {
        zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 200, -1), true);
        InMemoryVolumeService engine = new InMemoryVolumeService();
        ScoriaDaemon a = node("node-a", engine);
        ScoriaDaemon b = node("node-b", engine);
        cli(a, dir.resolve("node-a"), "volume", "create", "vm1", "--size", "20MiB");
        String volume = cli(a, dir.resolve("node-a"), "snapshot", "create", "vm1", "s1"); // changes it: node-a owns it
        assertTrue(volume.contains("created snapshot s1"), volume);

        String status = cli(b, dir.resolve("node-b"), "cluster", "status");
        assertTrue(status.contains("answered by node node-b"), status);
        assertTrue(status.lines().anyMatch(l -> l.startsWith("node-a ") && l.contains("127.0.0.1:" + a.nbdPort())
                && l.endsWith("vm1")), status);
        assertTrue(status.lines().anyMatch(l -> l.startsWith("node-b ") && l.endsWith("-")), status);
        assertTrue(status.lines().anyMatch(l -> l.matches("vm1\\s+node-a\\s+1\\s+-\\s+-")), status);

        assertEquals(401, get(b, "/v1/cluster", null).statusCode());
        String token = Files.readString(dir.resolve("node-b").resolve("admin.token")).strip();
        HttpResponse<String> json = get(b, "/v1/cluster", token);
        assertEquals(200, json.statusCode());
        assertTrue(json.body().contains("\"owner\" : \"node-a\""), json.body());

        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.apiPort()
                + "/v1/volumes/vm1/snapshots")).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"s2\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("owned by node node-a"), refused.body());
        assertTrue(refused.body().contains("127.0.0.1:" + a.nbdPort()), "names the owner's NBD address: " + refused.body());
    }

    @Test
    void aSingleRouterIsNotAClusterNode() throws Exception {
        ScoriaConfig cfg = ConfigLoader.parse("dataDir: " + dir + "\nnbd: {port: 0}\napi: {port: 0}\niscsi: {enabled: false}\n", "t");
        ScoriaDaemon d = new ScoriaDaemon(cfg, new InMemoryVolumeService());
        daemons.add(d);
        HttpResponse<String> r = get(d, "/v1/cluster", Files.readString(dir.resolve("admin.token")).strip());
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("not a cluster node"), r.body());
    }
}
