package io.scoria.accelerator.frontend;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The NBD connections and iSCSI sessions open on this node, by volume, each with a check whether
 * it is still admitted and a way to close it. When a volume's attachments change (a detach), the
 * control plane calls {@link #recheck}, which closes every session of the volume that the new
 * attachments no longer admit with the rights it has (a read-write session of a host now attached
 * read-only is closed too; the client reconnects read-only).
 *
 * <p>Thread-safe. The checks and closers run on the caller of {@link #recheck}; they must not block
 * (closing a Netty channel only schedules the close on its event loop).
 */
public final class OpenSessions {
    /** One open session: {@code stillAdmitted} re-runs the frontend's admission, {@code close} ends it. */
    private record Session(BooleanSupplier stillAdmitted, Runnable close) {
    }

    private final Map<String, Set<Session>> byVolume = new ConcurrentHashMap<>();

    /**
     * Registers a session of {@code volume}; the returned handle unregisters it (call it when the
     * session closes; calling it again does nothing).
     */
    public Runnable opened(String volume, BooleanSupplier stillAdmitted, Runnable close) {
        Session s = new Session(stillAdmitted, close);
        byVolume.computeIfAbsent(volume, v -> ConcurrentHashMap.newKeySet()).add(s);
        return () -> byVolume.computeIfPresent(volume, (v, set) -> {
            set.remove(s);
            return set.isEmpty() ? null : set;
        });
    }

    /** Closes the sessions of {@code volume} (compared without case) that are no longer admitted; returns how many. */
    public int recheck(String volume) {
        int closed = 0;
        for (Map.Entry<String, Set<Session>> e : byVolume.entrySet()) {
            if (!e.getKey().equalsIgnoreCase(volume)) {
                continue;
            }
            for (Session s : List.copyOf(e.getValue())) {
                if (!s.stillAdmitted().getAsBoolean()) {
                    s.close().run();
                    closed++;
                }
            }
        }
        return closed;
    }

    /** Sessions of {@code volume} open now. */
    public int count(String volume) {
        Set<Session> s = byVolume.get(volume);
        return s == null ? 0 : s.size();
    }
}
