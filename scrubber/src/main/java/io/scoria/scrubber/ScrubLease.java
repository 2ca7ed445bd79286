package io.scoria.scrubber;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.sco.scrub.ScrubResult;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * The lease object {@code scrub/lease} that keeps two scrub jobs off one namespace. Acquired
 * with put-if-absent; a lease is taken over only when it expired, or when its holder ran on
 * this host and its process is gone (a killed job). Renewed by {@link #renew()}; released on
 * {@link #close()}. Not thread-safe.
 */
final class ScrubLease implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Holder(String token, String host, long pid, long expiresMillis) {
    }

    private final ObjectStore store;
    private final String namespace;
    private final Duration ttl;
    private final Holder self;
    private boolean released;

    private ScrubLease(ObjectStore store, String namespace, Duration ttl, Holder self) {
        this.store = store;
        this.namespace = namespace;
        this.ttl = ttl;
        this.self = self;
    }

    static ScrubLease acquire(ObjectStore store, String namespace, Duration ttl) {
        Holder self = new Holder(UUID.randomUUID().toString(), hostName(), ProcessHandle.current().pid(),
                System.currentTimeMillis() + ttl.toMillis());
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Holder> current = read(store, namespace);
            if (current.isPresent()) {
                Holder h = current.get();
                if (!breakable(h)) {
                    throw new LeaseHeldException("namespace '" + namespace + "' is being scrubbed by another job (pid "
                            + h.pid() + " on " + h.host() + ", lease " + ScrubResult.LEASE_KEY + " valid for "
                            + Math.max(0, h.expiresMillis() - System.currentTimeMillis()) / 1000 + " s more)");
                }
                store.delete(namespace, ScrubResult.LEASE_KEY);
            }
            try {
                ByteBuffer body = encode(self);
                if (store.capabilities().conditionalPut()) {
                    store.putIfAbsent(namespace, ScrubResult.LEASE_KEY, body);
                } else {
                    store.put(namespace, ScrubResult.LEASE_KEY, body);
                }
            } catch (PreconditionFailedException raced) {
                continue;
            }
            Optional<Holder> check = read(store, namespace);
            if (check.isPresent() && check.get().token().equals(self.token())) {
                return new ScrubLease(store, namespace, ttl, self);
            }
        }
        throw new LeaseHeldException("namespace '" + namespace + "': another scrub job took the lease at the same time");
    }

    /** Extends the lease; fails if another job took it over meanwhile. */
    void renew() {
        Optional<Holder> current = read(store, namespace);
        if (current.isEmpty() || !current.get().token().equals(self.token())) {
            throw new LeaseHeldException("namespace '" + namespace + "': the scrub lease was lost to another job");
        }
        store.put(namespace, ScrubResult.LEASE_KEY, encode(new Holder(self.token(), self.host(), self.pid(),
                System.currentTimeMillis() + ttl.toMillis())));
    }

    @Override
    public void close() {
        if (released) {
            return;
        }
        released = true;
        Optional<Holder> current = read(store, namespace);
        if (current.isPresent() && current.get().token().equals(self.token())) {
            store.delete(namespace, ScrubResult.LEASE_KEY);
        }
    }

    private static boolean breakable(Holder h) {
        if (h.expiresMillis() < System.currentTimeMillis()) {
            return true;
        }
        return h.host().equals(hostName()) && ProcessHandle.of(h.pid()).map(p -> !p.isAlive()).orElse(true);
    }

    private static Optional<Holder> read(ObjectStore store, String namespace) {
        try {
            ByteBuffer b = store.get(namespace, ScrubResult.LEASE_KEY);
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            return Optional.of(JSON.readValue(bytes, Holder.class));
        } catch (NotFoundException e) {
            if (!store.namespaceExists(namespace)) {
                throw new ScrubException("namespace '" + namespace + "' does not exist on " + store.name());
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new ScrubException(namespace + "/" + ScrubResult.LEASE_KEY + " is not a valid scrub lease: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer encode(Holder h) {
        try {
            return ByteBuffer.wrap(JSON.writeValueAsBytes(h));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
