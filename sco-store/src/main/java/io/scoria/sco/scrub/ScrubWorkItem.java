package io.scoria.sco.scrub;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.Names;
import io.scoria.sco.ScoFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One unit of scrub work (FORMATS.md, "Scrub work queue"): a router decided that the volume in
 * {@code namespace} needs a scrub and left it for a {@code scoria-scrub --worker}. JSON, version 1;
 * unknown fields are ignored (a newer router may add some), a higher version is refused. Immutable.
 *
 * @param version       format version, {@link #VERSION}
 * @param namespace     the volume namespace to scrub
 * @param volume        the volume's name, for messages
 * @param liveThreshold SCOs with a live fraction below this are rewritten (0 < t <= 1)
 * @param garbage       the garbage ratio that made the router publish the item (0-1)
 * @param publishedMillis when the item was published, Unix milliseconds
 * @param publisher     who published it (the router's host name), for messages
 * @param attempts      scrubs of this item that failed so far
 * @param lastError     the last failure's message, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ScrubWorkItem(int version, String namespace, String volume, double liveThreshold, double garbage,
                            long publishedMillis, String publisher, int attempts, String lastError) {
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Validates every field; throws {@link IllegalArgumentException} naming the wrong one. */
    public ScrubWorkItem {
        if (version != VERSION) {
            throw new IllegalArgumentException("version " + version + " is not supported (this program reads version "
                    + VERSION + ")");
        }
        Names.checkNamespace(namespace);
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(publisher, "publisher");
        if (!(liveThreshold > 0 && liveThreshold <= 1)) {
            throw new IllegalArgumentException("liveThreshold must be in (0, 1]: " + liveThreshold);
        }
        if (!(garbage >= 0 && garbage <= 1)) {
            throw new IllegalArgumentException("garbage must be in [0, 1]: " + garbage);
        }
        if (attempts < 0) {
            throw new IllegalArgumentException("attempts must not be negative: " + attempts);
        }
    }

    /** A new item, not attempted yet. */
    public static ScrubWorkItem of(String namespace, String volume, double liveThreshold, double garbage,
                                   String publisher) {
        return new ScrubWorkItem(VERSION, namespace, volume, liveThreshold, garbage, System.currentTimeMillis(),
                publisher, 0, null);
    }

    /** The same item after one more failed scrub. */
    public ScrubWorkItem failed(String error) {
        return new ScrubWorkItem(version, namespace, volume, liveThreshold, garbage, publishedMillis, publisher,
                attempts + 1, error);
    }

    public ByteBuffer encode() {
        try {
            return ByteBuffer.wrap(JSON.writeValueAsBytes(this));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode scrub work item of " + namespace, e);
        }
    }

    /**
     * Reads an item; {@code where} names the object in messages.
     *
     * @throws ScoFormatException if the bytes are not a valid version-1 item
     */
    public static ScrubWorkItem decode(ByteBuffer bytes, String where) {
        byte[] b = new byte[bytes.remaining()];
        bytes.duplicate().get(b);
        try {
            ScrubWorkItem item = JSON.readValue(b, ScrubWorkItem.class);
            if (item == null) {
                throw new ScoFormatException(where + " is not a scrub work item: empty JSON");
            }
            return item;
        } catch (IOException | IllegalArgumentException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new ScoFormatException(where + " is not a valid scrub work item ("
                    + new String(b, 0, Math.min(b.length, 120), StandardCharsets.UTF_8).replaceAll("\\s+", " ")
                    + "): " + reason, e);
        }
    }
}
