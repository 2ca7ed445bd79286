package io.scoria.accelerator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Objects;

/**
 * Who did what on the management API, when, and with which result: one JSON object per line in
 * {@code <dataDir>/audit.log} for every call that changes something (any method but GET/HEAD) and
 * every refused call (401, 403), written and forced to disk before the reply goes out. Tokens are
 * named by their id, never their secret. When the file passes {@code maxBytes} it becomes
 * {@code audit.log.1} (replacing the previous one) and a new file starts.
 *
 * <p>Thread-safe (one lock around each append). A failure to write is logged, never fails the call.
 */
final class AuditLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    static final long DEFAULT_MAX_BYTES = 64L << 20;

    /**
     * One line of the file. {@code actor} is the token id ({@code -} when none was valid), {@code project} the
     * token's project ({@code *}: every project; {@code -} when no token was valid).
     */
    record Entry(Instant time, String actor, String role, String project, String remote, String method, String path,
                 int status) {
    }

    private final Path file;
    private final long maxBytes;
    private final ObjectMapper json = Json.mapper();
    private FileChannel out;
    private boolean closed;

    AuditLog(Path file, long maxBytes) {
        this.file = Objects.requireNonNull(file, "file");
        this.maxBytes = maxBytes;
    }

    /** Whether a call with this method and status is recorded. */
    static boolean recorded(String method, int status) {
        return status == 401 || status == 403 || !(method.equals("GET") || method.equals("HEAD"));
    }

    synchronized void append(Entry e) {
        if (closed) {
            return;
        }
        try {
            byte[] line = (json.writeValueAsString(e) + "\n").getBytes(StandardCharsets.UTF_8);
            if (out == null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            if (out.size() > 0 && out.size() + line.length > maxBytes) {
                out.close();
                out = null;
                Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
                out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            ByteBuffer b = ByteBuffer.wrap(line);
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(false);
        } catch (JsonProcessingException ex) {
            log.error("cannot encode an audit entry for {} {}", e.method(), e.path(), ex);
        } catch (IOException ex) {
            log.error("cannot append to the audit log {}: {} {} by {} -> {} is not recorded", file, e.method(),
                    e.path(), e.actor(), e.status(), ex);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                log.warn("cannot close the audit log {}", file, e);
            }
            out = null;
        }
    }
}
