package io.scoria.accelerator.control;

import java.util.List;
import java.util.Objects;

/**
 * A multi-step operation as written to the {@link IntentJournal} before its first step, with what
 * recovery needs to complete it or roll it back. Immutable.
 *
 * @param id       unique within the journal
 * @param kind     the operation
 * @param volume   the volume it is about (the parent, for a clone set)
 * @param snapshot the parent's snapshot of a clone set (null: the template's or the latest)
 * @param names    the clones of a clone set, in order; empty otherwise
 * @param host     the host of an attach or detach; null otherwise
 * @param readOnly an attach's mode
 * @param shared   an attach's sharing
 */
public record Intent(String id, Kind kind, String volume, String snapshot, List<String> names, String host,
                     boolean readOnly, boolean shared) {
    /** The operations that are journalled. */
    public enum Kind { CREATE, CLONE_SET, DELETE, ATTACH, DETACH }

    public Intent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(volume, "volume");
        names = names == null ? List.of() : List.copyOf(names);
    }

    static Intent create(String id, String volume) {
        return new Intent(id, Kind.CREATE, volume, null, List.of(), null, false, false);
    }

    static Intent cloneSet(String id, String parent, String snapshot, List<String> names) {
        return new Intent(id, Kind.CLONE_SET, parent, snapshot, names, null, false, false);
    }

    static Intent delete(String id, String volume) {
        return new Intent(id, Kind.DELETE, volume, null, List.of(), null, false, false);
    }

    static Intent attach(String id, Attachment a) {
        return new Intent(id, Kind.ATTACH, a.volume(), null, List.of(), a.host(), a.readOnly(), a.shared());
    }

    static Intent detach(String id, String volume, String host) {
        return new Intent(id, Kind.DETACH, volume, null, List.of(), host, false, false);
    }
}
