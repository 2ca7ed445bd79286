package io.scoria.accelerator.control;

import java.nio.file.Path;

/**
 * The lifecycle journal is damaged somewhere other than its last record (a torn last record is
 * dropped safely, see {@link IntentJournal}): the router refuses to guess which operations
 * finished and does not start. Names the file and the byte offset of the damaged record.
 */
public final class JournalCorruptException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    public JournalCorruptException(Path file, long offset, String what) {
        super("the lifecycle journal " + file + " is damaged at byte " + offset + ": " + what
                + "; its operations were not replayed. Check the volumes it names (scoria volume list), then move the"
                + " file aside to start");
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }
}
