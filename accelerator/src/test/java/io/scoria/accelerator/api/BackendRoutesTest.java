package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /v1/backend/rotate-keys} on a real {@link ApiServer}: admin only, re-wraps the data
 * keys of the router's key ring and says how many, names a volume whose key no configured KEK
 * unwraps, 404 without a key ring; {@code scoria backend rotate-keys} without {@code --config}
 * goes through it.
 */
class BackendRoutesTest {
    @TempDir
    Path dir;
    final ApiCalls calls = new ApiCalls();
    final ObjectMapper json = new ObjectMapper();
    final InMemoryObjectStore backend = new InMemoryObjectStore("volumes");
    final KeyEncryptionKey old = KeyEncryptionKey.random();
    final KeyEncryptionKey next = KeyEncryptionKey.random();
    ApiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(KeyRing ring) {
        ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, dir);
        server = new ApiServer(config, new InMemoryVolumeService(), new ScoriaConfig.Volumes(null, null),
                ScoriaMetrics.newRegistry(), null, ApiServices.none(config).withKeyRing(ring));
    }

    private void volume(KeyEncryptionKey kek, String name) {
        TransformingObjectStore s = new TransformingObjectStore(backend,
                new KeyRing(backend, KeyRing.DEFAULT_NAMESPACE, kek, List.of()), null, TransformPolicy.parse("lz4+aes-256-gcm"));
        s.createNamespace(name);
        s.put(name, "sco/1", ByteBuffer.wrap(new byte[8192]));
    }

    private HttpResponse<String> rotate(BearerToken token) throws Exception {
        return calls.call(server, "POST", "/v1/backend/rotate-keys", token, null);
    }

    @Test
    void anAdminRotatesTheRoutersKeyRing() throws Exception {
        volume(old, "vm1");
        volume(old, "vm2");
        start(new KeyRing(backend, KeyRing.DEFAULT_NAMESPACE, next, List.of(old)));
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        BearerToken operator = server.tokens().create(Role.OPERATOR).token();

        assertEquals(403, rotate(operator).statusCode(), "an operator may not rotate keys");
        HttpResponse<String> first = rotate(admin);
        assertEquals(200, first.statusCode(), first.body());
        JsonNode r = json.readTree(first.body());
        assertEquals(2, r.get("rewrapped").asInt());
        assertEquals(next.id(), r.get("kekId").asText());
        assertTrue(r.get("complete").asBoolean());

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ScoriaMain.execute(new String[] {"backend", "rotate-keys", "--api", "http://127.0.0.1:" + server.port(),
                "--token-file", dir.resolve("admin.token").toString()}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("re-wrapped 0 data keys under key-encryption key " + next.id()
                + "; 2 already under it"), out.toString());

        TransformingObjectStore onlyNew = new TransformingObjectStore(backend,
                new KeyRing(backend, KeyRing.DEFAULT_NAMESPACE, next, List.of()), null, TransformPolicy.NONE);
        assertEquals(8192, onlyNew.get("vm2", "sco/1").remaining(), "the new key alone opens the volume");
    }

    @Test
    void aKeyNoConfiguredKekUnwrapsIsNamedAndWithoutAKeyRingThereIsNoRotation() throws Exception {
        KeyEncryptionKey lost = KeyEncryptionKey.random();
        volume(old, "vm1");
        volume(lost, "orphan");
        start(new KeyRing(backend, KeyRing.DEFAULT_NAMESPACE, next, List.of(old)));
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        HttpResponse<String> partial = rotate(admin);
        assertEquals(200, partial.statusCode(), partial.body());
        JsonNode r = json.readTree(partial.body());
        assertFalse(r.get("complete").asBoolean());
        assertEquals(1, r.get("rewrapped").asInt());
        assertTrue(r.get("unopened").get("orphan").asText().contains("volume 'orphan'"), partial.body());

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ScoriaMain.execute(new String[] {"backend", "rotate-keys", "--api", "http://127.0.0.1:" + server.port(),
                "--token-file", dir.resolve("admin.token").toString()}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(1, code, out.toString());
        assertTrue(err.toString().contains("volume 'orphan'"), err.toString());
        server.close();

        start(null);
        HttpResponse<String> none = rotate(AdminTokenFile.read(dir.resolve("admin.token")));
        assertEquals(404, none.statusCode(), none.body());
        assertTrue(none.body().contains("no key ring"), none.body());
    }
}
