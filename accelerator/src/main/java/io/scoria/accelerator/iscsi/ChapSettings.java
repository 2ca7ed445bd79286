package io.scoria.accelerator.iscsi;

import io.scoria.backend.config.Secret;

import java.util.Map;
import java.util.Objects;

/**
 * CHAP (RFC 1994 as used by RFC 7143 section 12.1.3) credentials of an iSCSI target. Immutable;
 * secrets are {@link Secret}s, so this record's {@code toString} never shows them.
 *
 * @param user         the name the initiator must send ({@code CHAP_N}), or null: any name with a known secret
 * @param secret       the secret the initiator proves it knows; null: no CHAP (any initiator may log in)
 * @param mutualUser   the name the target answers with when the initiator asks for mutual CHAP
 * @param mutualSecret the target's own secret for mutual CHAP; null: mutual CHAP refused
 * @param initiators   per-initiator secrets by initiator IQN, used instead of {@code secret} for that initiator
 */
public record ChapSettings(String user, Secret secret, String mutualUser, Secret mutualSecret,
                           Map<String, Secret> initiators) {
    /** No CHAP: every initiator is admitted without authentication. */
    public static final ChapSettings NONE = new ChapSettings(null, null, null, null, Map.of());

    public ChapSettings {
        initiators = Map.copyOf(Objects.requireNonNull(initiators, "initiators"));
        if (mutualSecret != null && secret == null && initiators.isEmpty()) {
            throw new IllegalArgumentException("mutualSecret needs a secret (mutual CHAP follows one-way CHAP)");
        }
        checkLength("secret", secret);
        checkLength("mutualSecret", mutualSecret);
        initiators.values().forEach(s -> checkLength("initiators", s));
        if (secret != null && mutualSecret != null && secret.equals(mutualSecret)) {
            throw new IllegalArgumentException("mutualSecret must differ from secret (RFC 7143 12.1.3)");
        }
    }

    private static void checkLength(String key, Secret s) {
        if (s != null && (s.reveal().length() < 12 || s.reveal().length() > 255)) {
            throw new IllegalArgumentException(key + " must be 12-255 characters long (RFC 7143 12.1.3)");
        }
    }

    /** One-way CHAP with one user and secret. */
    public static ChapSettings of(String user, Secret secret) {
        return new ChapSettings(user, secret, null, null, Map.of());
    }

    /** These settings with mutual CHAP: the target proves itself as {@code user} with {@code secret}. */
    public ChapSettings withMutual(String targetUser, Secret targetSecret) {
        return new ChapSettings(user, secret, targetUser, targetSecret, initiators);
    }

    /** True if initiators must authenticate. */
    public boolean required() {
        return secret != null || !initiators.isEmpty();
    }

    /** The secret {@code initiator} must know, or null if it has none. */
    Secret secretFor(String initiator) {
        Secret own = initiator == null ? null : initiators.get(initiator);
        return own != null ? own : secret;
    }
}
