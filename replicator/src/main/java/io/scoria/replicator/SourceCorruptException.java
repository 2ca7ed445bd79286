package io.scoria.replicator;

/**
 * A source object failed its check (a SCO against its TLog's SCO_SEALED size and CRC32C, a TLog
 * against its record and CHECKSUM CRC32Cs). Replication of that volume stops; nothing after the
 * object in shipping order is shipped.
 */
public class SourceCorruptException extends ReplicationException {
    public SourceCorruptException(String message, Throwable cause) {
        super(message, cause);
    }

    public SourceCorruptException(String message) {
        super(message);
    }
}
