package io.scoria.accelerator.volume;

import io.scoria.accelerator.ReplicationFencedException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.replication.ReplicationState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a router knows of its volume's replication role (FORMATS.md, "Replication state"): the
 * namespace's {@code replication/state} as it was when the volume was opened. A namespace whose
 * state is {@link ReplicationState.Role#REPLICA} is a replica a job ships into: the router serves
 * it read-only and never uploads or publishes anything to it. For a writable volume every SCO and
 * TLog upload and every manifest publish first reads the state again ({@link #checkBeforeUpload}:
 * one small GET, next to a put of up to a SCO); a state that changed since
 * the open (a promote on this site's replica, a fail-back over this site) trips the fence, and so
 * does a manifest generation another writer published ({@link #checkConflict}). A tripped fence
 * stays tripped until the volume is opened again: uploads stop and writes are refused with
 * {@link ReplicationFencedException}. A put already in flight when another site changes the state
 * still lands: a fail-back writes the fence state on the old primary before it ships anything.
 *
 * <p>Thread-safety: the seen state is immutable; the tripped flag is volatile, set once by the
 * uploader's thread and read by any I/O thread.
 */
final class ReplicationFence {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationFence.class);
    /** In the volume's local directory: the replication state seen at the last open (empty file: none). */
    static final String SEEN = "replication-seen.json";

    private final ObjectStore store;
    private final String namespace;
    private final Optional<ReplicationState> seen;
    private volatile ReplicationFencedException tripped;

    private ReplicationFence(ObjectStore store, String namespace, Optional<ReplicationState> seen) {
        this.store = Objects.requireNonNull(store, "store");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.seen = seen;
    }

    /** Reads the namespace's replication state now (one backend GET). */
    static ReplicationFence read(ObjectStore store, String namespace) {
        return new ReplicationFence(store, namespace, ReplicationState.read(store, namespace));
    }

    /**
     * The fence of a volume being opened: the state read from the backend now or, while the backend
     * is unavailable, the one this router last saw there ({@link #remember}, in the volume's local
     * directory), so that a restart from local flash needs no backend and the first upload after it
     * still trips on a state changed meanwhile.
     *
     * @throws BackendUnavailableException when the backend is down and no state was remembered
     */
    static ReplicationFence atOpen(ObjectStore store, String namespace, Path volumeDir) {
        try {
            return read(store, namespace);
        } catch (BackendUnavailableException e) {
            Path f = volumeDir.resolve(SEEN);
            if (!Files.exists(f)) {
                throw e;
            }
            try {
                byte[] b = Files.readAllBytes(f);
                Optional<ReplicationState> seen = b.length == 0 ? Optional.empty()
                        : Optional.of(ReplicationState.decode(ByteBuffer.wrap(b), f.toString()));
                LOG.warn("volume in namespace '{}': {} is unavailable, using the replication state seen there last ({}): {}",
                        namespace, store.name(), describe(seen), e.getMessage());
                return new ReplicationFence(store, namespace, seen);
            } catch (IOException io) {
                throw new UncheckedIOException("cannot read " + f, io);
            }
        }
    }

    /** Notes the state seen at open in the volume's local directory (read by {@link #atOpen} while the backend is down). */
    void remember(Path volumeDir) {
        Path f = volumeDir.resolve(SEEN);
        Path tmp = volumeDir.resolve(SEEN + ".tmp");
        try {
            byte[] b = seen.map(s -> {
                ByteBuffer e = s.encode();
                byte[] a = new byte[e.remaining()];
                e.get(a);
                return a;
            }).orElse(new byte[0]);
            Files.write(tmp, b);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f, e);
        }
    }

    /** The fence of a namespace this node just created: it has no replication state. */
    static ReplicationFence fresh(ObjectStore store, String namespace) {
        return new ReplicationFence(store, namespace, Optional.empty());
    }

    /** True when the namespace was a replica when opened: served read-only, nothing uploaded. */
    boolean replica() {
        return seen.map(s -> s.role() == ReplicationState.Role.REPLICA).orElse(false);
    }

    /** The error writes get once tripped, else null. */
    ReplicationFencedException tripped() {
        return tripped;
    }

    private static String describe(Optional<ReplicationState> s) {
        return s.map(x -> x.role() + " at epoch " + x.epoch() + " of volume id " + x.volumeId()).orElse("none");
    }

    private static boolean sameRole(Optional<ReplicationState> a, Optional<ReplicationState> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return a.isEmpty() && b.isEmpty();
        }
        return a.get().role() == b.get().role() && a.get().epoch() == b.get().epoch()
                && a.get().volumeId().equals(b.get().volumeId());
    }

    private ReplicationFencedException trip(String why) {
        ReplicationFencedException e = tripped;
        if (e == null) {
            e = new ReplicationFencedException("volume in namespace '" + namespace + "' on " + store.name() + " is fenced: " + why
                    + "; uploads stopped and writes are refused; close and open the volume again to serve what the backend "
                    + "holds now");
            tripped = e;
            LOG.error(e.getMessage());
        }
        return e;
    }

    /**
     * Before an upload or a manifest publish: throws when the fence is tripped, or when the namespace's
     * replication state is no longer the one seen at open (tripping it).
     */
    void checkBeforeUpload() {
        if (tripped != null) {
            throw tripped;
        }
        Optional<ReplicationState> now = ReplicationState.read(store, namespace);
        if (!sameRole(seen, now)) {
            throw trip("its replication state changed from " + describe(seen) + " to " + describe(now)
                    + " (the volume was promoted or failed back on another site)");
        }
    }

    /**
     * After a publish of {@code ours} met a generation that exists already: returns normally when
     * the backend's newest manifest {@code newest} is an earlier publish of this router (same
     * volume id, its TLogs a prefix of ours: a restart lost the note of that publish); otherwise
     * trips the fence and throws, since another writer published this volume.
     */
    void checkConflict(VolumeManifest ours, VolumeManifest newest) {
        checkBeforeUpload();
        List<Long> theirs = newest.allTlogs();
        List<Long> mine = ours.allTlogs();
        boolean prefix = theirs.size() <= mine.size() && mine.subList(0, theirs.size()).equals(theirs);
        if (!Objects.equals(ours.volumeId(), newest.volumeId()) || !prefix) {
            throw trip("manifest generation " + newest.generation() + " on the backend was published by another writer "
                    + "(volume id " + newest.volumeId() + ", TLogs " + describeTlogs(theirs) + "; this router has "
                    + describeTlogs(mine) + ")");
        }
    }

    private static String describeTlogs(List<Long> t) {
        return t.isEmpty() ? "none" : t.size() + " up to " + t.get(t.size() - 1);
    }
}
