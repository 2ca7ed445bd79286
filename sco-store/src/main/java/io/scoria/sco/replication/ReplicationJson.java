package io.scoria.sco.replication;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.scoria.sco.ScoFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The JSON codec of the replication objects: unknown fields and missing numbers refused, and
 * every error a {@link ScoFormatException} naming the object. Stateless, thread-safe.
 */
final class ReplicationJson {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ReplicationJson() {
    }

    static ByteBuffer encode(Object value) {
        try {
            return ByteBuffer.wrap(JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code data} (not consumed) as {@code type}; {@code what} names the object, {@code kind} the format. */
    static <T> T decode(ByteBuffer data, Class<T> type, String what, String kind) {
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException | IllegalArgumentException e) {
            Throwable c = e.getCause();
            if (c instanceof ScoFormatException sfe) {
                throw new ScoFormatException(what + ": " + sfe.getMessage(), e);
            }
            throw new ScoFormatException(what + " is not a valid " + kind + ": " + e.getMessage(), e);
        }
    }
}
