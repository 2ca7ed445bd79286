package io.scoria.accelerator.control;

import java.util.List;
import java.util.Objects;

/**
 * A multi-step operation as written to the {@link IntentJournal} before its first step, with what
 * recovery needs to complete it or roll it back. Immutable.
 *
 * @param id       unique within the journal
 * @param kind     the operation
 * @param volume   the volume it is about (the parent, for a clone set; the pool's name, for a pool operation)
 * @param snapshot the parent's snapshot of a clone set (null: the template's or the latest)
 * @param names    the clones of a clone set, or the desktops a pool operation makes or renews, in order; empty otherwise
 * @param host     the host of an attach or detach; null otherwise
 * @param readOnly an attach's mode
 * @param shared   an attach's sharing
 * @param pool     the pool's definition a pool operation brings about (absent from journals written before pools
 *                 were journalled: null); null otherwise
 */
public record Intent(String id, Kind kind, String volume, String snapshot, List<String> names, String host,
                     boolean readOnly, boolean shared, PoolDefinition pool) {
    /** The operations that are journalled. */
    public enum Kind {
        CREATE, CLONE_SET, DELETE, ATTACH, DETACH, POOL_CREATE, POOL_RESET, POOL_RECOMPOSE;

        /** Whether {@link Pools} (rather than {@link LifecycleRecovery}) finishes an interrupted one. */
        boolean pool() {
            return this == POOL_CREATE || this == POOL_RESET || this == POOL_RECOMPOSE;
        }
    }

    public Intent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(volume, "volume");
        names = names == null ? List.of() : List.copyOf(names);
        if (kind.pool() && pool == null) {
            throw new IllegalArgumentException("a pool operation's intent " + id + " names no pool definition");
        }
    }

    static Intent create(String id, String volume) {
        return new Intent(id, Kind.CREATE, volume, null, List.of(), null, false, false, null);
    }

    static Intent cloneSet(String id, String parent, String snapshot, List<String> names) {
        return new Intent(id, Kind.CLONE_SET, parent, snapshot, names, null, false, false, null);
    }

    static Intent delete(String id, String volume) {
        return new Intent(id, Kind.DELETE, volume, null, List.of(), null, false, false, null);
    }

    static Intent attach(String id, Attachment a) {
        return new Intent(id, Kind.ATTACH, a.volume(), null, List.of(), a.host(), a.readOnly(), a.shared(), null);
    }

    static Intent detach(String id, String volume, String host) {
        return new Intent(id, Kind.DETACH, volume, null, List.of(), host, false, false, null);
    }

    /** A pool create, reset or recompose ({@code kind}) bringing pool {@code def} about on {@code desktops}. */
    static Intent pool(String id, Kind kind, PoolDefinition def, List<String> desktops) {
        if (!kind.pool()) {
            throw new IllegalArgumentException(kind + " is not a pool operation");
        }
        return new Intent(id, kind, def.name(), def.snapshot(), desktops, null, false, false, def);
    }
}
