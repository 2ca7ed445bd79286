package io.scoria.distributor.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.BackendException;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.JobProgress;
import io.scoria.distributor.placement.StoreSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The last progress of each job per namespace, kept as {@code j/<job>} (JSON) on every store,
 * so an interrupted job can be resumed by another process. Best effort: a checkpoint that
 * cannot be written only costs re-doing work, never correctness. Thread-safe.
 */
public final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String PREFIX = "j/";

    private final StoreSet storeSet;

    public Checkpoints(StoreSet storeSet) {
        this.storeSet = storeSet;
    }

    public void save(JobProgress p) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize " + p, e);
        }
        List<Future<?>> futures = new ArrayList<>();
        for (FragmentStore s : storeSet.stores()) {
            futures.add(storeSet.submit(() -> {
                storeSet.put(s, p.namespace(), PREFIX + p.job(), ByteBuffer.wrap(bytes));
                return null;
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                LOG.warn("checkpoint of {} in '{}' not saved on one store: {}", p.job(), p.namespace(), e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The saved progress of {@code job} (repair, rebalance, reencode) in the namespace, or null. */
    public JobProgress load(String ns, String job) {
        JobProgress best = null;
        for (FragmentStore s : storeSet.stores()) {
            try {
                ByteBuffer b = s.store().get(ns, PREFIX + job);
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                JobProgress p = JSON.readValue(bytes, JobProgress.class);
                if (best == null || p.updatedMillis() > best.updatedMillis()) {
                    best = p;
                }
            } catch (BackendException | IOException e) {
                // not on this store, unreachable, or unreadable: the others may have it
            }
        }
        return best;
    }
}
