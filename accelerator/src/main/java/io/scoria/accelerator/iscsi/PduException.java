package io.scoria.accelerator.iscsi;

/** A PDU that breaks the protocol so that the connection cannot go on: the connection is closed. */
final class PduException extends RuntimeException {
    PduException(String message) {
        super(message);
    }
}
