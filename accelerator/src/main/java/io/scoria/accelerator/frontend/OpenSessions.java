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
    /**
     * One open session: {@code host} is the attached host it was admitted as (null: the static policy
     * admitted it), {@code stillAdmitted} re-runs the frontend's admission, {@code close} ends it.
     */
    private record Session(String host, BooleanSupplier stillAdmitted, Runnable close) {
    }

    private final Map<String, Set<Session>> byVolume = new ConcurrentHashMap<>();

    /**
     * Registers a session of {@code volume} admitted as attached host {@code host} (null: by the static
     * policy); the returned handle unregisters it (call it when the session closes; again does nothing).
     */
    public Runnable opened(String volume, String host, BooleanSupplier stillAdmitted, Runnable close) {
        Session s = new Session(host, stillAdmitted, close);
        byVolume.computeIfAbsent(volume, v -> ConcurrentHashMap.newKeySet()).add(s);
        return () -> byVolume.computeIfPresent(volume, (v, set) -> {
            set.remove(s);
            return set.isEmpty() ? null : set;
        });
    }

    /** Closes the sessions of {@code volume} (compared without case) that are no longer admitted; returns how many. */
    public int recheck(String volume) {
        return closeIf(volume, s -> !s.stillAdmitted().getAsBoolean());
    }

    /**
     * Closes the sessions of {@code volume} (compared without case) that host {@code host} opened as an
     * attached host (a detach: even if the volume is left without attachments, whose static policy would
     * admit them); returns how many.
     */
    public int close(String volume, String host) {
        return closeIf(volume, s -> host.equals(s.host()));
    }

    private int closeIf(String volume, java.util.function.Predicate<Session> which) {
        int closed = 0;
        for (Map.Entry<String, Set<Session>> e : byVolume.entrySet()) {
            if (!e.getKey().equalsIgnoreCase(volume)) {
                continue;
            }
            for (Session s : List.copyOf(e.getValue())) {
                if (which.test(s) && e.getValue().remove(s)) { // closed once, counted once
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
