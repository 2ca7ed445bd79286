package io.scoria.accelerator.iscsi;

import java.util.Map;

/**
 * The target's side of the operational keys of a login (RFC 7143 sections 6.2 and 13): answers
 * each key the initiator offers and accumulates the result. Keys the target does not know are
 * answered {@code NotUnderstood}; values outside their range fail the login.
 *
 * <p>Not thread-safe; one per login, used on the connection's event loop.
 */
final class OperationalNegotiation {
    private int sendDataSegment = 8192;
    private int maxBurst = 262144;
    private int firstBurst = 65536;
    private boolean immediateData = true;
    private boolean initialR2T = true;
    private boolean headerDigest;
    private boolean dataDigest;
    private boolean declared;

    /** Keys handled elsewhere (login, security) that need no answer here. */
    static boolean declarative(String key) {
        return switch (key) {
            case "InitiatorName", "InitiatorAlias", "TargetName", "SessionType", "TargetAlias" -> true;
            default -> false;
        };
    }

    /** Answers {@code key=value} into {@code answers}. */
    void offer(String key, String value, Map<String, String> answers) {
        switch (key) {
            case "HeaderDigest" -> {
                String d = digest(key, value);
                headerDigest = d.equals("CRC32C");
                answers.put(key, d);
            }
            case "DataDigest" -> {
                String d = digest(key, value);
                dataDigest = d.equals("CRC32C");
                answers.put(key, d);
            }
            case "MaxRecvDataSegmentLength" -> sendDataSegment = number(key, value, 512, (1 << 24) - 1);
            case "MaxBurstLength" -> {
                maxBurst = Math.min(number(key, value, 512, (1 << 24) - 1), SessionParams.TARGET_MAX_BURST);
                answers.put(key, Integer.toString(maxBurst));
            }
            case "FirstBurstLength" -> {
                firstBurst = Math.min(number(key, value, 512, (1 << 24) - 1), SessionParams.TARGET_MAX_BURST);
                answers.put(key, Integer.toString(firstBurst));
            }
            case "ImmediateData" -> {
                immediateData = bool(key, value);
                answers.put(key, immediateData ? "Yes" : "No");
            }
            case "InitialR2T" -> {
                initialR2T = bool(key, value);
                answers.put(key, initialR2T ? "Yes" : "No");
            }
            case "MaxOutstandingR2T", "MaxConnections" -> {
                number(key, value, 1, 65535);
                answers.put(key, "1");
            }
            case "ErrorRecoveryLevel", "DefaultTime2Retain" -> {
                number(key, value, 0, key.equals("ErrorRecoveryLevel") ? 2 : 3600);
                answers.put(key, "0");
            }
            case "DefaultTime2Wait" -> answers.put(key, Integer.toString(Math.max(2, number(key, value, 0, 3600))));
            case "DataPDUInOrder", "DataSequenceInOrder" -> {
                bool(key, value);
                answers.put(key, "Yes");
            }
            case "IFMarker", "OFMarker", "RDMAExtensions" -> {
                bool(key, value);
                answers.put(key, "No");
            }
            case "IFMarkInt", "OFMarkInt" -> answers.put(key, "Irrelevant");
            default -> {
                if (!declarative(key)) {
                    answers.put(key, "NotUnderstood");
                }
            }
        }
    }

    /** Adds the target's own declarations to the first operational answer. */
    void declare(Map<String, String> answers) {
        if (!declared) {
            declared = true;
            answers.put("MaxRecvDataSegmentLength", Integer.toString(SessionParams.TARGET_RECV_DATA_SEGMENT));
        }
    }

    /** The result; a FirstBurstLength above MaxBurstLength (possibly the default) is cut to it. */
    SessionParams result() {
        return new SessionParams(sendDataSegment, SessionParams.TARGET_RECV_DATA_SEGMENT, maxBurst,
                Math.min(firstBurst, maxBurst),
                immediateData, initialR2T, headerDigest, dataDigest);
    }

    private static String digest(String key, String value) {
        for (String d : value.split(",")) {
            if (d.equals("CRC32C") || d.equals("None")) {
                return d;
            }
        }
        throw new LoginException(LoginException.INITIATOR_ERROR, key + " offers no digest the target knows: " + value);
    }

    private static int number(String key, String value, int min, int max) {
        try {
            long v = Long.parseLong(value);
            if (v >= min && v <= max) {
                return (int) v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new LoginException(LoginException.INITIATOR_ERROR, key + " out of range: " + value);
    }

    private static boolean bool(String key, String value) {
        return switch (value) {
            case "Yes" -> true;
            case "No" -> false;
            default -> throw new LoginException(LoginException.INITIATOR_ERROR, key + " must be Yes or No: " + value);
        };
    }
}
