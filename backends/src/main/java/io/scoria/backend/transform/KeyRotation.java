package io.scoria.backend.transform;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one {@link KeyRing#rotate()} pass did: how many data keys it re-wrapped under the current
 * key-encryption key, how many records were already under it (or hold no data key), and the
 * volumes whose data key no configured key-encryption key unwraps (their records were left as they
 * are). Names volumes and key-encryption key ids, never a key. Immutable.
 *
 * @param kekId          id of the current key-encryption key, the one every key is wrapped by after a complete pass
 * @param rewrapped      records re-wrapped by this pass
 * @param alreadyCurrent records that needed nothing: wrapped by the current KEK already, or not encrypted
 * @param unopened       namespace → why its record was left as it is (no configured KEK unwraps it, or it
 *                       is damaged), sorted by namespace; the reasons name the volume and a KEK id, never a key
 */
public record KeyRotation(String kekId, int rewrapped, int alreadyCurrent, Map<String, String> unopened) {
    public KeyRotation {
        unopened = Collections.unmodifiableMap(new TreeMap<>(unopened));
    }

    /** Whether every record is now wrapped by the current key-encryption key (the old ones may be dropped). */
    public boolean complete() {
        return unopened.isEmpty();
    }
}
