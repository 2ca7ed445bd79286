package io.scoria.sco.scrub;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.sco.ScoFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The scrub work queue on a backend (FORMATS.md, "Scrub work queue"): the namespace
 * {@value #NAMESPACE} holds at most one {@link ScrubWorkItem} per volume namespace, as
 * {@code item/<namespace>}, from its publication by the router until a worker wrote the scrub
 * result; an item no worker can use is moved to {@code rejected/<namespace>} with the reason.
 * Which worker scrubs an item is decided by the volume's own scrub lease ({@code scrub/lease} in
 * its namespace), not here. Stateless apart from the store; thread-safe as the store is.
 */
public final class ScrubWorkQueue {
    /** The well-known namespace of the queue. */
    public static final String NAMESPACE = "scoria-scrub-work";
    /** Prefix of pending items. */
    public static final String ITEM_PREFIX = "item/";
    /** Prefix of rejected items. */
    public static final String REJECTED_PREFIX = "rejected/";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why an item was taken off the queue without a scrub. */
    public record Rejection(String namespace, String reason, long rejectedMillis, String item) {
    }

    private final ObjectStore store;

    public ScrubWorkQueue(ObjectStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** The store the queue lives on. */
    public ObjectStore store() {
        return store;
    }

    /**
     * Publishes {@code item} unless an item of its namespace is pending; returns whether it was
     * published. Creates the queue's namespace on first use.
     */
    public boolean publish(ScrubWorkItem item) {
        if (!store.namespaceExists(NAMESPACE)) {
            store.createNamespace(NAMESPACE);
        }
        String key = ITEM_PREFIX + item.namespace();
        if (store.capabilities().conditionalPut()) {
            try {
                store.putIfAbsent(NAMESPACE, key, item.encode());
                return true;
            } catch (PreconditionFailedException pending) {
                return false;
            }
        }
        if (store.exists(NAMESPACE, key)) {
            return false;
        }
        store.put(NAMESPACE, key, item.encode());
        return true;
    }

    /** Whether an item of {@code namespace} is pending (published, not yet scrubbed). */
    public boolean pending(String namespace) {
        try {
            return store.exists(NAMESPACE, ITEM_PREFIX + namespace);
        } catch (NotFoundException noQueueYet) {
            return false;
        }
    }

    /** The namespaces with a pending item, as named by their keys (a damaged key is listed too). */
    public List<String> pendingNamespaces() {
        List<ObjectInfo> items;
        try {
            items = store.listAll(NAMESPACE, ITEM_PREFIX);
        } catch (NotFoundException noQueueYet) {
            return List.of();
        }
        List<String> out = new ArrayList<>(items.size());
        items.forEach(o -> out.add(o.key().substring(ITEM_PREFIX.length())));
        return out;
    }

    /**
     * The pending item of {@code namespace}, or empty.
     *
     * @throws ScoFormatException if the object is not a valid item of that namespace
     */
    public Optional<ScrubWorkItem> read(String namespace) {
        String key = ITEM_PREFIX + namespace;
        Optional<byte[]> bytes = fetch(key);
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        String where = store.name() + ":" + NAMESPACE + "/" + key;
        ScrubWorkItem item = ScrubWorkItem.decode(ByteBuffer.wrap(bytes.get()), where);
        if (!item.namespace().equals(namespace)) {
            throw new ScoFormatException(where + " names namespace '" + item.namespace() + "', not '" + namespace + "'");
        }
        return Optional.of(item);
    }

    /**
     * Whether a scrub result waits in {@code namespace} to be applied (or cleaned up) by the router:
     * a new scrub would scrub the same snapshots again, so none is published or started meanwhile.
     */
    public boolean resultWaiting(String namespace) {
        return !store.list(namespace, ScrubResult.PREFIX, null, 1).objects().isEmpty();
    }

    /** Replaces the pending item (after a failed attempt). */
    public void update(ScrubWorkItem item) {
        store.put(NAMESPACE, ITEM_PREFIX + item.namespace(), item.encode());
    }

    /** Removes the pending item of {@code namespace} (scrubbed, or no longer needed). */
    public void remove(String namespace) {
        store.delete(NAMESPACE, ITEM_PREFIX + namespace);
    }

    /**
     * Takes the pending item of {@code namespace} off the queue for good, keeping its bytes and
     * {@code reason} as {@code rejected/<namespace>} for an operator (replacing an older rejection).
     */
    public void reject(String namespace, String reason) {
        String key = ITEM_PREFIX + namespace;
        String raw = fetch(key).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("namespace", namespace);
        r.put("reason", reason);
        r.put("rejectedMillis", System.currentTimeMillis());
        r.put("item", raw);
        try {
            store.put(NAMESPACE, REJECTED_PREFIX + namespace, ByteBuffer.wrap(JSON.writeValueAsBytes(r)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the rejection of " + namespace, e);
        }
        store.delete(NAMESPACE, key);
    }

    /**
     * Removes and returns the rejection of {@code namespace}, if any (the router reports it once
     * before it publishes a new item); an unreadable rejection is removed and reported as such.
     */
    public Optional<Rejection> takeRejection(String namespace) {
        String key = REJECTED_PREFIX + namespace;
        Optional<byte[]> found = fetch(key);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes = found.get();
        Rejection r;
        try {
            r = JSON.readValue(bytes, Rejection.class);
        } catch (IOException e) {
            r = new Rejection(namespace, "unreadable rejection record: " + e.getMessage(), 0,
                    new String(bytes, StandardCharsets.UTF_8));
        }
        store.delete(NAMESPACE, key);
        return Optional.of(r);
    }

    /** The bytes of {@code key} in the queue's namespace, or empty if it (or the namespace) does not exist. */
    private Optional<byte[]> fetch(String key) {
        ByteBuffer b;
        try {
            b = store.get(NAMESPACE, key);
        } catch (NotFoundException e) {
            return Optional.empty();
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return Optional.of(bytes);
    }
}
