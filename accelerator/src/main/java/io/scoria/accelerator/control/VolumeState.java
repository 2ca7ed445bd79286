package io.scoria.accelerator.control;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle state of a volume, persisted by {@link VolumeStates}, with the table of allowed
 * transitions ({@link #allows}). {@link #DELETED} is also the state of a name that has no volume:
 * a deleted name may be created again.
 *
 * <pre>
 *   deleted   → creating
 *   creating  → available | deleting (rolled back) | error
 *   available → attached | deleting | error
 *   attached  → attached (a second shared host) | detaching | error
 *   detaching → available (last host gone) | attached (other hosts remain) | error
 *   deleting  → deleted | error
 *   error     → deleting | available
 * </pre>
 * Immutable; the table is read without locks.
 */
public enum VolumeState {
    CREATING, AVAILABLE, ATTACHED, DETACHING, DELETING, DELETED, ERROR;

    private static final Map<VolumeState, Set<VolumeState>> ALLOWED = Map.of(
            DELETED, EnumSet.of(CREATING),
            // a create completes (available), fails unknown (error) or is rolled back (deleting)
            CREATING, EnumSet.of(AVAILABLE, DELETING, ERROR),
            AVAILABLE, EnumSet.of(ATTACHED, DELETING, ERROR),
            // attached again: a second host of a shared volume
            ATTACHED, EnumSet.of(ATTACHED, DETACHING, ERROR),
            DETACHING, EnumSet.of(AVAILABLE, ATTACHED, ERROR),
            DELETING, EnumSet.of(DELETED, ERROR),
            // an operator deletes what failed; a volume that is found whole again is available
            ERROR, EnumSet.of(DELETING, AVAILABLE));

    /** Whether a volume in this state may go to {@code next}. */
    public boolean allows(VolumeState next) {
        return ALLOWED.get(this).contains(next);
    }

    /** The lower-case name used in files, JSON and the CLI ({@code available}). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The state called {@code name} (any case); anything else is an IllegalArgumentException naming it. */
    public static VolumeState parse(String name) {
        for (VolumeState s : values()) {
            if (s.wireName().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no volume state '" + name + "'; one of creating, available, attached,"
                + " detaching, deleting, deleted, error");
    }
}
