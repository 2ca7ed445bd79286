package io.scoria.accelerator.iscsi;

import io.scoria.backend.config.Secret;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * The target's side of the security stage of one login (RFC 7143 section 12.1.3): {@code AuthMethod}
 * selection, then CHAP with MD5 ({@code CHAP_A=5}): a random identifier and 16-byte challenge,
 * the initiator's response checked in constant time, and with mutual CHAP the target's own answer
 * to the initiator's challenge (a challenge equal to the target's is refused: reflection).
 * Secrets are only read here and never appear in messages.
 *
 * <p>Not thread-safe; one per login, used on the connection's event loop.
 */
final class ChapExchange {
    private static final SecureRandom RANDOM = new SecureRandom();

    private enum State { START, METHOD_CHOSEN, CHALLENGED, DONE }

    private final ChapSettings settings;
    private final String initiator;
    private State state = State.START;
    private int id;
    private byte[] challenge;

    ChapExchange(ChapSettings settings, String initiator) {
        this.settings = settings;
        this.initiator = initiator;
    }

    /** True once the initiator may leave the security stage. */
    boolean complete() {
        return state == State.DONE;
    }

    /** Handles the security keys of one Login Request; answers go into {@code answers}. */
    void handle(Map<String, String> keys, Map<String, String> answers) {
        String method = keys.get("AuthMethod");
        if (method != null) {
            if (state != State.START) {
                throw fail("AuthMethod sent twice");
            }
            chooseMethod(method, answers);
        }
        if (keys.containsKey("CHAP_A")) {
            if (state != State.METHOD_CHOSEN) {
                throw fail("CHAP_A out of order");
            }
            sendChallenge(keys.get("CHAP_A"), answers);
        }
        if (keys.containsKey("CHAP_R") || keys.containsKey("CHAP_N")) {
            if (state != State.CHALLENGED) {
                throw fail("CHAP_R out of order");
            }
            verify(keys, answers);
        }
    }

    private void chooseMethod(String offered, Map<String, String> answers) {
        var methods = Arrays.asList(offered.split(","));
        if (settings.required()) {
            if (!methods.contains("CHAP")) {
                throw fail("initiator " + initiator + " does not offer CHAP, which the target requires");
            }
            answers.put("AuthMethod", "CHAP");
            state = State.METHOD_CHOSEN;
        } else if (methods.contains("None")) {
            answers.put("AuthMethod", "None");
            state = State.DONE;
        } else {
            throw fail("initiator " + initiator + " offers only " + offered + " but the target has no CHAP secret");
        }
    }

    private void sendChallenge(String algorithms, Map<String, String> answers) {
        if (!Arrays.asList(algorithms.split(",")).contains("5")) {
            throw fail("CHAP_A offers no MD5 (5): " + algorithms);
        }
        id = RANDOM.nextInt(256);
        challenge = new byte[16];
        RANDOM.nextBytes(challenge);
        answers.put("CHAP_A", "5");
        answers.put("CHAP_I", Integer.toString(id));
        answers.put("CHAP_C", "0x" + HexFormat.of().formatHex(challenge));
        state = State.CHALLENGED;
    }

    private void verify(Map<String, String> keys, Map<String, String> answers) {
        String name = keys.get("CHAP_N");
        String response = keys.get("CHAP_R");
        Secret secret = settings.secretFor(initiator);
        if (name == null || response == null || secret == null) {
            throw fail("CHAP_N and CHAP_R required, and a secret for initiator " + initiator);
        }
        if (settings.user() != null && !settings.user().equals(name)) {
            throw fail("CHAP name " + name + " is not the configured user");
        }
        byte[] expected = md5(id, secret, challenge);
        if (!MessageDigest.isEqual(expected, decode(response))) {
            throw fail("CHAP response of " + name + " (initiator " + initiator + ") is wrong");
        }
        String theirId = keys.get("CHAP_I");
        String theirChallenge = keys.get("CHAP_C");
        if (theirId != null || theirChallenge != null) {
            if (theirId == null || theirChallenge == null || settings.mutualSecret() == null) {
                throw fail("mutual CHAP asked by " + initiator + " but not configured (or CHAP_I/CHAP_C missing)");
            }
            byte[] c = decode(theirChallenge);
            if (c.length == 0 || c.length > 1024 || Arrays.equals(c, challenge)) {
                throw fail("mutual CHAP challenge of " + initiator + " is empty, too long or reflects the target's");
            }
            int i = parseId(theirId);
            answers.put("CHAP_N", settings.mutualUser() != null ? settings.mutualUser() : "scoria");
            answers.put("CHAP_R", "0x" + HexFormat.of().formatHex(md5(i, settings.mutualSecret(), c)));
        }
        state = State.DONE;
    }

    private static int parseId(String s) {
        try {
            int i = Integer.decode(s);
            if (i >= 0 && i <= 255) {
                return i;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw fail("bad CHAP_I");
    }

    /** A CHAP binary value: {@code 0x} hexadecimal or {@code 0b} base64 (RFC 7143 section 6.1). */
    static byte[] decode(String v) {
        try {
            if (v.startsWith("0x") || v.startsWith("0X")) {
                String hex = v.substring(2);
                return HexFormat.of().parseHex(hex.length() % 2 == 0 ? hex : "0" + hex);
            }
            if (v.startsWith("0b") || v.startsWith("0B")) {
                return java.util.Base64.getDecoder().decode(v.substring(2));
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw fail("bad CHAP binary value");
    }

    static byte[] md5(int id, Secret secret, byte[] challenge) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update((byte) id);
            md.update(secret.reveal().getBytes(StandardCharsets.UTF_8));
            md.update(challenge);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JVM", e);
        }
    }

    private static LoginException fail(String message) {
        return new LoginException(LoginException.AUTHENTICATION_FAILED, message);
    }
}
