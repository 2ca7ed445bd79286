package io.scoria.scrubber;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.scrub.ScrubResult;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The object {@code scrub/work-in-progress}: the result key a job is producing and every
 * output object it is about to write, recorded before the write. A job that dies leaves it
 * behind; the next job removes those outputs (unless the result was already written or
 * applied), so a killed scrub never leaks objects. Not thread-safe.
 */
final class WorkJournal {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Entry(String resultKey, List<String> outputs) {
    }

    private final ObjectStore store;
    private final String namespace;
    private final String resultKey;
    private final List<String> outputs = new ArrayList<>();

    WorkJournal(ObjectStore store, String namespace, String resultKey) {
        this.store = store;
        this.namespace = namespace;
        this.resultKey = resultKey;
    }

    /** Records {@code key} as an output before it is written. */
    void willWrite(String key) {
        if (outputs.contains(key)) {
            return;
        }
        outputs.add(key);
        try {
            store.put(namespace, ScrubResult.WORK_KEY, ByteBuffer.wrap(JSON.writeValueAsBytes(new Entry(resultKey, outputs))));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    List<String> outputs() {
        return List.copyOf(outputs);
    }

    void finish() {
        store.delete(namespace, ScrubResult.WORK_KEY);
    }

    static Optional<Entry> read(ObjectStore store, String namespace) {
        try {
            ByteBuffer b = store.get(namespace, ScrubResult.WORK_KEY);
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            return Optional.of(JSON.readValue(bytes, Entry.class));
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ScrubException(namespace + "/" + ScrubResult.WORK_KEY + " is unreadable: " + e.getMessage(), e);
        }
    }
}
