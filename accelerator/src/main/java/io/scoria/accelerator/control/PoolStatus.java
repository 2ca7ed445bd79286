package io.scoria.accelerator.control;

import java.util.List;

/**
 * A pool as {@code pool status} shows it: its definition and every desktop.
 *
 * @param idle    desktops that exist and nobody uses (no attachment, no open session)
 * @param inUse   desktops attached to a host or with an open session
 * @param missing desktops whose volume does not exist or is still {@code creating} / {@code deleting} (an
 *                operation in progress, or one that failed: the next {@code pool reset} or {@code recompose} makes
 *                them; one a stop interrupted is completed at the next start)
 * @param stale   desktops on another template or snapshot than the pool's (in use during a recompose)
 */
public record PoolStatus(PoolDefinition pool, List<Member> desktops, int idle, int inUse, int missing, int stale) {
    /**
     * One desktop.
     *
     * @param parent     template it is a clone of (null: missing or flattened)
     * @param current    a clone of the pool's template at the pool's snapshot
     * @param cloneState THIN, INDEPENDENT or null (see {@link io.scoria.accelerator.VolumeInfo#cloneState})
     */
    public record Member(String volume, boolean exists, String parent, String parentSnapshot, boolean current,
                         boolean inUse, String cloneState) {
    }

    static PoolStatus of(PoolDefinition pool, List<Member> desktops) {
        int idle = 0;
        int inUse = 0;
        int missing = 0;
        int stale = 0;
        for (Member m : desktops) {
            if (!m.exists()) {
                missing++;
                continue;
            }
            if (m.inUse()) {
                inUse++;
            } else {
                idle++;
            }
            if (!m.current()) {
                stale++;
            }
        }
        return new PoolStatus(pool, List.copyOf(desktops), idle, inUse, missing, stale);
    }
}
