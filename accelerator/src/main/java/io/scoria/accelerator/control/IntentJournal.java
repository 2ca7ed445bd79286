package io.scoria.accelerator.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.sco.Durable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * The crash-safe journal of multi-step lifecycle operations ({@code <dataDir>/lifecycle/journal}):
 * an {@link Intent} is appended and forced to disk before the operation's first step, and an end
 * record after its last; {@link #unfinished()} are the operations a crash interrupted, for
 * {@link VolumeLifecycle} to complete or roll back at start.
 *
 * <pre>
 * file    = header record*
 * header  = "SCLJ" (4 bytes ASCII) version (int32 BE, 1)
 * record  = length (int32 BE, 1..1 MiB) crc (int32 BE, CRC32C of payload) payload (length bytes, JSON)
 * payload = {"type":"begin","id":ID,"intent":{...Intent...}} | {"type":"end","id":ID,"outcome":"completed"|"rolled-back"}
 * </pre>
 *
 * Each record is forced (fdatasync) before the step it guards, so a torn <em>last</em> record (short,
 * or failing its checksum) guards a step that never started: it is cut off at open, with a warning.
 * Damage before the last record is a {@link JournalCorruptException}: no operation is guessed. When
 * no operation is open the file is cut back to its header.
 *
 * <p>Thread-safe: appends are serialized by the journal's lock. {@link #close()} is idempotent.
 */
public final class IntentJournal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IntentJournal.class);
    static final byte[] MAGIC = "SCLJ".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 8;
    static final int MAX_RECORD = 1 << 20;

    /** How an operation ended. */
    public enum Outcome { COMPLETED, ROLLED_BACK, FAILED }

    /** One record's payload. */
    record Entry(String type, String id, Intent intent, String outcome) {
    }

    private final Path file;
    private final FileChannel channel;
    private final ObjectMapper json = ControlFiles.JSON;
    private final Map<String, Intent> open = new LinkedHashMap<>();
    private long nextId = 1;
    private boolean closed;

    private IntentJournal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens (or creates) the journal in {@code file}, reading its unfinished operations. */
    public static IntentJournal open(Path file) {
        Objects.requireNonNull(file, "file");
        FileChannel ch = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            boolean existed = Files.exists(file);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            IntentJournal j = new IntentJournal(file, ch);
            j.load();
            if (!existed) {
                Durable.force(file.toAbsolutePath().getParent());
            }
            return j;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UncheckedIOException("cannot open the lifecycle journal " + file, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The operations begun and not ended, in the order they began. */
    public synchronized List<Intent> unfinished() {
        return List.copyOf(open.values());
    }

    /** Appends the intent {@code make} builds from a fresh id, forced to disk before this returns. */
    public synchronized Intent begin(Function<String, Intent> make) {
        checkOpen();
        Intent intent = make.apply("op-" + nextId++);
        append(new Entry("begin", intent.id(), intent, null));
        open.put(intent.id(), intent);
        return intent;
    }

    /** Records that {@code intent} ended; with no operation left open, cuts the file back to its header. */
    public synchronized void end(Intent intent, Outcome outcome) {
        checkOpen();
        if (open.remove(intent.id()) == null) {
            throw new IllegalStateException("operation " + intent.id() + " is not open in the lifecycle journal");
        }
        append(new Entry("end", intent.id(), null, outcome.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')));
        if (open.isEmpty()) {
            try {
                channel.truncate(HEADER_BYTES);
                channel.force(true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot compact the lifecycle journal " + file, e);
            }
        }
    }

    private void append(Entry e) {
        byte[] payload;
        try {
            payload = json.writeValueAsBytes(e);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot encode a lifecycle journal record", x);
        }
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(payload.length).putInt(crc(payload, 0, payload.length)).put(payload).flip();
        try {
            long at = channel.size();
            while (b.hasRemaining()) {
                at += channel.write(b, at);
            }
            channel.force(false);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot append to the lifecycle journal " + file, x);
        }
    }

    private void load() throws IOException {
        long size = channel.size();
        if (size < HEADER_BYTES) {
            byte[] head = read(0, (int) size);
            if (!Arrays.equals(head, Arrays.copyOf(header(), head.length))) {
                throw new JournalCorruptException(file, 0, "it does not start with a journal header");
            }
            // new, or its creation was cut short: nothing was journalled yet
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(header()), 0);
            channel.force(true);
            return;
        }
        byte[] all = read(0, (int) Math.min(size, Integer.MAX_VALUE - 8));
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.BIG_ENDIAN);
        if (!Arrays.equals(Arrays.copyOf(all, 4), MAGIC)) {
            throw new JournalCorruptException(file, 0, "it does not start with a journal header");
        }
        int version = b.getInt(4);
        if (version != VERSION) {
            throw new JournalCorruptException(file, 4, "format version " + version + "; this program reads " + VERSION);
        }
        int pos = HEADER_BYTES;
        while (pos < all.length) {
            int left = all.length - pos;
            if (left < 8) {
                torn(pos, "a record header cut short");
                return;
            }
            int length = b.getInt(pos);
            int crc = b.getInt(pos + 4);
            if (length <= 0 || length > MAX_RECORD) {
                if (zeros(all, pos)) {
                    torn(pos, "a record that was never written (zeros)");
                    return;
                }
                throw new JournalCorruptException(file, pos, "record length " + length);
            }
            if (left - 8 < length) {
                torn(pos, "a record cut short");
                return;
            }
            boolean last = pos + 8 + length == all.length;
            if (crc(all, pos + 8, length) != crc) {
                if (last) {
                    torn(pos, "the last record fails its checksum");
                    return;
                }
                throw new JournalCorruptException(file, pos, "a record fails its checksum and records follow it");
            }
            apply(pos, Arrays.copyOfRange(all, pos + 8, pos + 8 + length));
            pos += 8 + length;
        }
    }

    private void apply(long pos, byte[] payload) {
        Entry e;
        try {
            e = json.readValue(payload, Entry.class);
        } catch (IOException | IllegalArgumentException x) {
            throw new JournalCorruptException(file, pos, "a record is not valid: " + x.getMessage());
        }
        if ("begin".equals(e.type()) && e.intent() != null && e.intent().id().equals(e.id())) {
            open.put(e.id(), e.intent());
            nextId = Math.max(nextId, sequence(e.id()) + 1);
        } else if ("end".equals(e.type()) && e.id() != null) {
            if (open.remove(e.id()) == null) {
                log.warn("lifecycle journal {}: an end record at byte {} names operation {}, which is not open;"
                        + " skipped", file, pos, e.id());
            }
        } else {
            throw new JournalCorruptException(file, pos, "a record of unknown type '" + e.type() + "'");
        }
    }

    private void torn(long pos, String what) throws IOException {
        log.warn("lifecycle journal {}: {} at byte {} (a crash while it was written; the step it guards never"
                + " started): cut off", file, what, pos);
        channel.truncate(pos);
        channel.force(true);
    }

    private static boolean zeros(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static long sequence(String id) {
        try {
            return Long.parseLong(id.substring(id.indexOf('-') + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return 0;
        }
    }

    private byte[] read(long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b, at + b.position()) < 0) {
                break;
            }
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private static byte[] header() {
        return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putInt(VERSION).array();
    }

    private static int crc(byte[] bytes, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(bytes, off, len);
        return (int) c.getValue();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the lifecycle journal " + file + " is closed");
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the open failed already; that error is the one reported
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close the lifecycle journal " + file, e);
            }
        }
    }
}
