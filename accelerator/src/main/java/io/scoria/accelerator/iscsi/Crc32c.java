package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;

import java.util.zip.CRC32C;

/**
 * The iSCSI digest (RFC 7143 section 13.1): CRC32C over the bytes, sent least significant byte
 * first (the RFC's example: 32 zero bytes give the bytes {@code aa 36 91 8a}). Stateless.
 */
final class Crc32c {
    private Crc32c() {
    }

    /** The digest of {@code length} bytes of {@code buf} from {@code index}; write it with {@code writeIntLE}. */
    static int of(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (java.nio.ByteBuffer b : buf.nioBuffers(index, length)) {
                crc.update(b);
            }
        }
        return (int) crc.getValue();
    }
}
