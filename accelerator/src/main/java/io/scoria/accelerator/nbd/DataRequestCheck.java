package io.scoria.accelerator.nbd;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * Checks the header of a READ or WRITE before any of its data is buffered: flags, length, the
 * export's size and read-only state. Stateless.
 */
final class DataRequestCheck {
    private DataRequestCheck() {
    }

    /** Why a READ/WRITE header is refused (null for other commands, or if it is fine). */
    static String refusal(int type, int flags, long offset, long length, int maxPayload, boolean readOnly, long size) {
        if (type != CMD_READ && type != CMD_WRITE) {
            return null;
        }
        String name = NbdReplies.commandName(type);
        if (!validFlags(flags, CMD_FLAG_FUA)) { // FUA is valid on READ too (proto.md)
            return "unsupported flags 0x" + Integer.toHexString(flags) + " for " + name;
        }
        if (length == 0) {
            return "zero-length " + name;
        }
        if (length > maxPayload) {
            return name + " of " + length + " bytes exceeds the maximum " + maxPayload;
        }
        if (type == CMD_WRITE && readOnly) {
            return "export is read-only";
        }
        return inRange(offset, length, size) ? null : name + " past the end of the export";
    }

    /** The NBD errno of a header {@link #refusal} refused. */
    static int errno(int type, int flags, long length, int maxPayload, boolean readOnly) {
        if (!validFlags(flags, CMD_FLAG_FUA) || length == 0) {
            return EINVAL;
        }
        if (length > maxPayload) {
            return type == CMD_READ ? EOVERFLOW : EINVAL;
        }
        if (type == CMD_WRITE && readOnly) {
            return EPERM;
        }
        return type == CMD_READ ? EINVAL : ENOSPC;
    }

    static boolean validFlags(int flags, int allowed) {
        return (flags & ~allowed) == 0;
    }

    static boolean inRange(long offset, long length, long size) {
        return offset >= 0 && offset <= size && length <= size - offset;
    }
}
