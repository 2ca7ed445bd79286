package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.KeyRotation;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.distributor.config.BackendConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code scoria backend rotate-keys}: re-wraps every data key of the key ring that a previous
 * key-encryption key wrapped under the current one ({@code backend.transform}: {@code
 * keyEncryptionKey} the new KEK, {@code previousKeyEncryptionKeys} the old ones), by
 * {@link KeyRing#rotate()}; no data object is rewritten. With {@code --config FILE} it works on the
 * backend of that file directly (only its {@code backend:} section is read), for routers that are
 * stopped; without, it asks the running router ({@code POST /v1/backend/rotate-keys}, admin token),
 * which serializes the pass with its own volume deletes. Safe to repeat and to kill: each record is
 * replaced by one atomic put, a rerun finishes the rest. Exits 1, naming the volumes and never a
 * key, when some record could not be re-wrapped (a wrong or missing previous KEK); those records
 * are left as they were.
 */
@Command(name = "rotate-keys", mixinStandardHelpOptions = true,
        description = {"Re-wrap every volume's data key under backend.transform.keyEncryptionKey; the old",
                "key-encryption keys (backend.transform.previousKeyEncryptionKeys) only unwrap. No data is rewritten;",
                "safe to rerun. Afterwards the old keys can be removed from the config. With --config: on the",
                "backend directly (routers stopped); without: through the running router's API."})
final class RotateKeysCommand extends ApiCommand {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML file with the backend section (the router's config will do); the routers must be stopped")
    Path config;

    /** What a pass did, from the key ring or from the API's answer. */
    private record Outcome(String keyRing, String kekId, int rewrapped, int alreadyCurrent, Map<String, String> unopened) {
    }

    @Override
    public void run() {
        Outcome r = config == null ? viaApi() : offline();
        out().printf("key ring %s: re-wrapped %d data key%s under key-encryption key %s; %d already under it%n",
                r.keyRing(), r.rewrapped(), r.rewrapped() == 1 ? "" : "s", r.kekId(), r.alreadyCurrent());
        if (!r.unopened().isEmpty()) {
            r.unopened().values().forEach(why -> out().println("not re-wrapped: " + why));
            out().flush();
            int n = r.unopened().size();
            throw new IllegalStateException(n + " data key" + (n == 1 ? "" : "s") + " not re-wrapped (volume"
                    + (n == 1 ? " " : "s ") + String.join(", ", r.unopened().keySet().stream().map(v -> "'" + v + "'")
                    .toList()) + "): configure the key-encryption key that wrapped them under previousKeyEncryptionKeys "
                    + "and run rotate-keys again; keep the old keys until it passes");
        }
        out().println("every data key is wrapped by key-encryption key " + r.kekId()
                + ": the previous key-encryption keys can be removed from the config");
    }

    private Outcome offline() {
        BackendConfig backend = ConfigReader.read(config).section("backend", BackendConfig.class);
        if (backend.transform() == null) {
            throw new IllegalArgumentException(config + ": no backend.transform section, so no key ring to rotate");
        }
        try (ObjectStore store = backend.open()) {
            KeyRing ring = ((TransformingObjectStore) store).keyRing();
            KeyRotation r = ring.rotate();
            return new Outcome(ring.where(), r.kekId(), r.rewrapped(), r.alreadyCurrent(), r.unopened());
        }
    }

    private Outcome viaApi() {
        JsonNode r = client().post("/v1/backend/rotate-keys", null);
        Map<String, String> unopened = new TreeMap<>();
        r.path("unopened").fields().forEachRemaining(e -> unopened.put(e.getKey(), e.getValue().asText()));
        return new Outcome(r.path("keyRing").asText(), r.path("kekId").asText(), r.path("rewrapped").asInt(),
                r.path("alreadyCurrent").asInt(), unopened);
    }
}
