package io.scoria.accelerator.iscsi;

/**
 * A login that fails with a Login Response status (RFC 7143 section 11.13.5): class in the high
 * byte, detail in the low byte. The message is for the target's log; the initiator only sees the
 * status.
 */
final class LoginException extends RuntimeException {
    static final int INITIATOR_ERROR = 0x0200;
    static final int AUTHENTICATION_FAILED = 0x0201;
    static final int NOT_AUTHORIZED = 0x0202;
    static final int NOT_FOUND = 0x0203;
    static final int UNSUPPORTED_VERSION = 0x0205;
    static final int MISSING_PARAMETER = 0x0207;
    static final int SESSION_DOES_NOT_EXIST = 0x020a;
    static final int INVALID_DURING_LOGIN = 0x020b;
    static final int TARGET_ERROR = 0x0300;
    /** The target is there but cannot serve now (its volume is being created or deleted); the initiator may retry. */
    static final int SERVICE_UNAVAILABLE = 0x0301;
    static final int OUT_OF_RESOURCES = 0x0302;

    private final int status;

    LoginException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
