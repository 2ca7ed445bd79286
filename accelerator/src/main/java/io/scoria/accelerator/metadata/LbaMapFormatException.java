package io.scoria.accelerator.metadata;

/**
 * A map file that is not an LBA map of the format this code writes (another format version, a
 * foreign chronicle-map file, or a damaged header). The map is a cache of the TLogs: delete the
 * file and replay them.
 */
public final class LbaMapFormatException extends RuntimeException {
    public LbaMapFormatException(String message) {
        super(message);
    }
}
