package io.scoria.distributor.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.CorruptDataException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Stored form of a {@link Manifest}: the magic {@code SDM1}, the CRC32C of the rest, then the
 * manifest as JSON (with its {@code format} field). A replica that fails the check is
 * reported as {@link CorruptDataException} and never used. Thread-safe.
 */
public final class ManifestCodec {
    private static final int MAGIC = 0x53444d31;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private ManifestCodec() {
    }

    public static byte[] encode(Manifest manifest) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(manifest);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize manifest of " + manifest.key(), e);
        }
        CRC32C crc = new CRC32C();
        crc.update(json);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length);
        out.putInt(MAGIC).putInt((int) crc.getValue()).put(json);
        return out.array();
    }

    /** @param where names the replica for messages, e.g. {@code store-3:ns/m/key} */
    public static Manifest decode(ByteBuffer stored, String where) {
        ByteBuffer b = stored.duplicate();
        if (b.remaining() < 8 || b.getInt() != MAGIC) {
            throw new CorruptDataException("manifest " + where + " has no valid header");
        }
        int expected = b.getInt();
        byte[] json = new byte[b.remaining()];
        b.get(json);
        CRC32C crc = new CRC32C();
        crc.update(json);
        if ((int) crc.getValue() != expected) {
            throw new CorruptDataException("manifest " + where + " fails its CRC32C");
        }
        try {
            return JSON.readValue(json, Manifest.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new CorruptDataException("manifest " + where + " cannot be parsed: " + e.getMessage()
                    + " (" + new String(json, 0, Math.min(json.length, 80), StandardCharsets.UTF_8) + ")", e);
        }
    }
}
