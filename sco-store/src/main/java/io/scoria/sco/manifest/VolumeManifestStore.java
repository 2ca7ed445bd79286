package io.scoria.sco.manifest;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.sco.Durable;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.VolumeManifest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads and replaces volume manifests. On the backend every replacement is a new immutable
 * object {@code manifest/<generation>.json} (put-if-absent where the store supports it, so two
 * writers of one generation cannot both win); the reader takes the highest generation, so
 * replacement is atomic on any store whose single-object put is atomic (S3, Swift, fs). A
 * publish deletes the generation that falls out of the last {@link #KEEP} (one DELETE), and every
 * {@value #SWEEP}th publish the {@value #SWEEP} before it again, in case a delete failed. Locally a manifest is written to a
 * temp file and renamed. Thread-safe.
 */
public final class VolumeManifestStore {
    /** Generations kept on the backend. */
    public static final int KEEP = 3;
    /** Every this many generations, a publish deletes this many older ones again (catching failed deletes). */
    static final int SWEEP = 16;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final ObjectStore store;

    public VolumeManifestStore(ObjectStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    public static byte[] toJson(VolumeManifest m) {
        try {
            return JSON.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static VolumeManifest fromJson(byte[] json, String what) {
        try {
            return JSON.readValue(json, VolumeManifest.class);
        } catch (ScoFormatException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            Throwable c = e.getCause();
            if (c instanceof ScoFormatException sfe) {
                throw new ScoFormatException(what + ": " + sfe.getMessage(), e);
            }
            throw new ScoFormatException(what + " is not a valid volume manifest: " + e.getMessage(), e);
        }
    }

    /** The newest manifest of the namespace, or empty when it has none. */
    public Optional<VolumeManifest> readLatest(String namespace) {
        List<ObjectInfo> all;
        try {
            all = store.listAll(namespace, NamespaceLayout.MANIFEST_PREFIX);
        } catch (io.scoria.backend.NotFoundException e) {
            if (!store.namespaceExists(namespace)) {
                return Optional.empty();
            }
            throw e;
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            String key = all.get(i).key();
            long gen;
            try {
                gen = NamespaceLayout.manifestGeneration(key);
            } catch (IllegalArgumentException e) {
                continue;
            }
            ByteBuffer buf = store.get(namespace, key);
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            VolumeManifest m = fromJson(bytes, store.name() + ":" + namespace + "/" + key);
            if (m.generation() != gen) {
                throw new ScoFormatException(namespace + "/" + key + " holds generation " + m.generation());
            }
            return Optional.of(m);
        }
        return Optional.empty();
    }

    /**
     * Publishes {@code m} as generation {@code m.generation()}; the caller chose it as one more
     * than the generation it read.
     *
     * @throws PreconditionFailedException if another writer already published that generation
     */
    public void publish(String namespace, VolumeManifest m) {
        String key = NamespaceLayout.manifestKey(m.generation());
        ByteBuffer data = ByteBuffer.wrap(toJson(m));
        if (store.capabilities().conditionalPut()) {
            store.putIfAbsent(namespace, key, data);
        } else {
            store.put(namespace, key, data);
        }
        // the generation that fell out of the last KEEP; every SWEEP-th publish also the SWEEP before it, in
        // case a delete failed (each delete is a request, and through a distributor a dozen)
        long span = m.generation() % SWEEP == 0 ? SWEEP : 1;
        for (long g = m.generation() - KEEP; g >= 1 && g > m.generation() - KEEP - span; g--) {
            store.delete(namespace, NamespaceLayout.manifestKey(g));
        }
    }

    /**
     * Writes a manifest to a local file atomically and durably (temp file, fsync, rename, fsync of
     * the directory: a restart reads only the TLog after the manifest's last, so a rename lost in
     * a power loss would hide the TLogs written after it).
     */
    public static void writeLocal(Path file, VolumeManifest m) {
        Durable.replace(file, ByteBuffer.wrap(toJson(m)));
    }

    public static Optional<VolumeManifest> readLocal(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(fromJson(Files.readAllBytes(file), file.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
