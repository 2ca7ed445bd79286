package io.scoria.backend.transform;

import java.util.Objects;

/**
 * What a key ring holds for one namespace: its transform policy and, when the policy encrypts,
 * its unwrapped data key. {@link #toString()} shows the policy and never the key. Immutable.
 *
 * @param policy  how the namespace's objects are written
 * @param dataKey the data key, or null when the policy does not encrypt
 */
public record NamespaceKeys(TransformPolicy policy, DataKey dataKey) {
    public NamespaceKeys {
        Objects.requireNonNull(policy, "policy");
        if (policy.encrypted() != (dataKey != null)) {
            throw new IllegalArgumentException("a data key goes with an encrypting policy and only with one");
        }
    }

    @Override
    public String toString() {
        return "NamespaceKeys[policy=" + policy + (dataKey == null ? "" : ", key id " + Long.toHexString(dataKey.id()))
                + "]";
    }
}
