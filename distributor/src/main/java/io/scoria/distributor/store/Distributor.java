package io.scoria.distributor.store;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.Capabilities;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.distributor.DistributorConfig;
import io.scoria.distributor.DistributorStatus;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.JobProgress;
import io.scoria.distributor.Policy;
import io.scoria.distributor.jobs.Jobs;
import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.manifest.ObjectManifestStore;
import io.scoria.distributor.placement.StoreSet;
import io.scoria.distributor.stripe.FragmentEncoder;
import io.scoria.distributor.stripe.StripeReader;
import io.scoria.distributor.stripe.StripeWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * An {@link io.scoria.backend.ObjectStore} that Reed-Solomon codes every object over many
 * stores (DESIGN.md, "Distributor stripe"), so the accelerator can use it in place of one
 * store. Objects are striped, each stripe encoded into Y fragments on Y distinct stores with
 * CRC32C per 4 KiB chunk, and published by a manifest replicated on Y-X+1 stores; any Y-X
 * stores may be lost. On each store, {@code m/<key>} is a manifest replica and
 * {@code f/<key>/<generation>.<i>} a fragment, in the same namespace as the object.
 *
 * <p>Semantics beyond {@link io.scoria.backend.ObjectStore}: {@link #putIfAbsent} is not
 * supported (no store-spanning atomic condition). A delete that cannot reach every store
 * fails with {@link BackendUnavailableException} after deleting what it could; retry it.
 * Thread-safe. Closing closes the stores.
 */
public final class Distributor extends AbstractObjectStore {
    private static final long MAX_OBJECT = 1L << 30;
    private static final int MAX_STALE_RETRIES = 8;

    private final StoreSet storeSet;
    private final ObjectManifestStore manifests;
    private final StripeWriter writer;
    private final StripeReader reader;
    private final Capabilities capabilities;
    private final Jobs jobs;

    public Distributor(DistributorConfig config) {
        this.storeSet = new StoreSet(config);
        this.manifests = new ObjectManifestStore(storeSet);
        this.writer = new StripeWriter(storeSet, manifests);
        this.reader = new StripeReader(storeSet);
        long minObject = Long.MAX_VALUE;
        int minKey = Integer.MAX_VALUE;
        boolean ranges = true;
        for (FragmentStore s : config.stores()) {
            minObject = Math.min(minObject, s.store().capabilities().maxObjectSize());
            minKey = Math.min(minKey, s.store().capabilities().maxKeyLength());
            ranges &= s.store().capabilities().rangeReads();
        }
        if (minKey <= Manifest.KEY_OVERHEAD) {
            throw new IllegalArgumentException("distributor stores allow keys of only " + minKey + " bytes");
        }
        // a fragment holds ceil(size / X) bytes (+ < 64 padding) plus 4 CRC bytes per 4 KiB chunk
        long perFragment = minObject / 4100 * 4096 - 64;
        int data = config.policy().dataFragments();
        long maxObject = perFragment <= 0 ? 0 : perFragment > MAX_OBJECT / data ? MAX_OBJECT : perFragment * data;
        this.capabilities = new Capabilities(ranges, false, Math.max(1, maxObject), minKey - Manifest.KEY_OVERHEAD);
        this.jobs = new Jobs(storeSet, manifests, writer, reader, (ns, after) -> list(ns, "", after, 1000));
    }

    public DistributorConfig config() {
        return storeSet.config();
    }

    @Override
    public String name() {
        return "distributor(" + storeSet.config().policy().dataFragments() + "+" + storeSet.config().policy().parityFragments()
                + " over " + storeSet.stores().size() + " stores)";
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    /**
     * Fragment sets written with fewer than the policy's Y fragments (a store was down; at least
     * the policy's minimum were stored) since this distributor was opened: objects below full
     * redundancy until {@link #repair} rebuilds them.
     */
    public long degradedWrites() {
        return writer.degradedWrites();
    }

    /** The manifest of an object (cached or from the stores); for tools and tests. */
    public Manifest manifest(String namespace, String key) {
        return manifests.resolve(namespace, key);
    }

    /** Drops cached manifests, so the next read asks the stores (e.g. after another writer). */
    public void forgetCachedManifests(String namespace) {
        manifests.forgetNamespace(namespace);
    }

    // ---- namespaces: on every store ----

    @Override
    protected boolean doCreateNamespace(String namespace) {
        List<Boolean> r = onEveryStore("create namespace " + namespace, s -> s.store().createNamespace(namespace));
        return r.contains(Boolean.TRUE);
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        manifests.forgetNamespace(namespace);
        List<Boolean> r = onEveryStore("delete namespace " + namespace, s -> s.store().deleteNamespace(namespace));
        return r.contains(Boolean.TRUE);
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        return onEveryStore("check namespace " + namespace, s -> s.store().namespaceExists(namespace)).contains(Boolean.TRUE);
    }

    @Override
    protected List<String> doListNamespaces() {
        TreeSet<String> all = new TreeSet<>();
        for (List<String> l : onEveryStore("list namespaces", s -> s.store().listNamespaces())) {
            all.addAll(l);
        }
        return List.copyOf(all);
    }

    /**
     * Runs {@code op} on every store in parallel; results of the stores that answered. Fails if
     * more than Y-X stores fail, since then the answer may be wrong. A store that answers "not
     * found" (it lacks the namespace, e.g. it came back empty) gives no result; only if no store
     * gave one is that the answer.
     */
    private <T> List<T> onEveryStore(String what, java.util.function.Function<FragmentStore, T> op) {
        List<Future<T>> futures = new ArrayList<>();
        for (FragmentStore s : storeSet.stores()) {
            futures.add(storeSet.submit(() -> op.apply(s)));
        }
        List<T> results = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        NotFoundException notFound = null;
        for (int i = 0; i < futures.size(); i++) {
            try {
                results.add(futures.get(i).get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof NotFoundException nf) {
                    notFound = nf; // this store lacks the namespace (e.g. it came back empty)
                    continue;
                }
                errors.add(storeSet.stores().get(i).name() + ": " + e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendUnavailableException(name() + ": interrupted during " + what, e);
            }
        }
        if (errors.size() > storeSet.config().policy().parityFragments()) {
            throw new BackendUnavailableException(name() + ": cannot " + what + ", " + errors.size() + " of "
                    + futures.size() + " stores failed: " + errors);
        }
        if (notFound != null && results.isEmpty()) {
            throw notFound;
        }
        return results;
    }

    // ---- objects ----

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        writer.put(namespace, key, data, storeSet.config().policy(), manifests.peek(namespace, key));
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        if (size > capabilities.maxObjectSize()) {
            throw new IllegalArgumentException("file " + file + " is larger than " + capabilities.maxObjectSize());
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            writer.put(namespace, key, FragmentEncoder.Source.of(in, file), size, storeSet.config().policy(),
                    manifests.peek(namespace, key));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        Manifest m = manifests.resolve(namespace, key);
        ByteBuffer dst = ByteBuffer.allocate((int) m.size());
        readWithManifest(namespace, key, m, 0, dst);
        return dst.flip();
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        Manifest m = manifests.resolve(namespace, key);
        int length = dst.remaining();
        if (offset + length > m.size()) {
            throw pastEnd(namespace, key, offset, length, m.size());
        }
        readWithManifest(namespace, key, m, offset, dst);
    }

    /**
     * Reads; if fragments are missing, the manifest may be stale (the object was overwritten
     * and the old generation deleted meanwhile): retry with the newest manifest while there is
     * a newer one.
     */
    private void readWithManifest(String namespace, String key, Manifest m, long offset, ByteBuffer dst) {
        int start = dst.position();
        int length = dst.remaining();
        Manifest current = m;
        for (int attempt = 0; ; attempt++) {
            try {
                reader.read(namespace, current, offset, dst);
                return;
            } catch (StripeReader.FragmentsUnavailableException e) {
                if (e.notFound() == 0 || attempt >= MAX_STALE_RETRIES) {
                    throw e;
                }
                Manifest fresh = manifests.fetch(namespace, key);
                if (!fresh.isNewerThan(current)) {
                    throw e;
                }
                if (offset + length > fresh.size()) {
                    throw pastEnd(namespace, key, offset, length, fresh.size());
                }
                current = fresh;
                dst.position(start);
            }
        }
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        Manifest m = manifests.resolve(namespace, key);
        return new ObjectInfo(key, m.size(), Instant.ofEpochMilli(m.createdMillis()));
    }

    @Override
    protected void doDelete(String namespace, String key) {
        Manifest m;
        try {
            m = manifests.fetch(namespace, key);
        } catch (NotFoundException e) {
            m = null;
        }
        List<String> failed = manifests.deleteEverywhere(namespace, key);
        if (!failed.isEmpty()) {
            throw new BackendUnavailableException(name() + ": delete of '" + key + "' in '" + namespace
                    + "' could not reach " + failed + "; its fragments are kept, retry the delete");
        }
        if (m != null) {
            writer.deleteFragments(namespace, m);
        }
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        String mprefix = Manifest.manifestKey(prefix);
        String mafter = startAfter == null ? null : Manifest.manifestKey(startAfter);
        List<ObjectPage> pages = onEveryStore("list " + namespace, s -> s.store().list(namespace, mprefix, mafter, limit));
        String cutoff = null;
        TreeSet<String> keys = new TreeSet<>();
        for (ObjectPage page : pages) {
            page.objects().forEach(o -> keys.add(o.key().substring(Manifest.MANIFEST_PREFIX.length())));
            if (!page.isLast() && !page.objects().isEmpty()) {
                String last = page.objects().get(page.objects().size() - 1).key().substring(Manifest.MANIFEST_PREFIX.length());
                if (cutoff == null || last.compareTo(cutoff) < 0) {
                    cutoff = last;
                }
            }
        }
        List<String> selected = new ArrayList<>();
        for (String k : keys) {
            if ((cutoff != null && k.compareTo(cutoff) > 0) || selected.size() == limit) {
                break;
            }
            selected.add(k);
        }
        boolean more = cutoff != null || keys.size() > selected.size();
        List<Future<Manifest>> futures = new ArrayList<>();
        for (String k : selected) {
            futures.add(storeSet.coordinate(() -> {
                try {
                    return manifests.resolve(namespace, k);
                } catch (NotFoundException e) {
                    return null;
                }
            }));
        }
        List<ObjectInfo> infos = new ArrayList<>();
        for (Future<Manifest> f : futures) {
            Manifest m;
            try {
                m = f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof BackendException be ? be
                        : new BackendUnavailableException(name() + ": listing failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendUnavailableException(name() + ": interrupted while listing", e);
            }
            if (m != null) {
                infos.add(new ObjectInfo(m.key(), m.size(), Instant.ofEpochMilli(m.createdMillis())));
            }
        }
        String next = more && !selected.isEmpty() ? selected.get(selected.size() - 1) : null;
        return new ObjectPage(infos, next);
    }

    // ---- long jobs ----

    /**
     * Checks every object of the namespace after {@code resumeAfter} (null: from the start):
     * fragments missing, failing their CRC32C, or on unreachable or removed stores are rebuilt
     * (on their store, else on another), manifests re-replicated.
     *
     * @param progress called after each object
     * @param stop     polled between objects; when it returns true the job stops and its last
     *                 progress names where to resume
     */
    public JobProgress repair(String namespace, String resumeAfter, Consumer<JobProgress> progress, BooleanSupplier stop) {
        return jobs.run(Jobs.Kind.REPAIR, namespace, null, resumeAfter, progress, stop);
    }

    /**
     * Surveys the stores and objects: each store's health (answers, came back empty, unavailable),
     * its fragments, and the objects below full redundancy. Lists every store and reads every
     * manifest (cached ones are not read again); reads no fragment.
     */
    public DistributorStatus status() {
        return new io.scoria.distributor.jobs.Survey(storeSet, manifests, (ns, after) -> list(ns, "", after, 1000)).take();
    }

    /**
     * The last saved progress of a job in the namespace ({@code "repair"}, {@code "rebalance"}
     * or {@code "reencode"}), or null if none was saved; resume with its {@code lastKey()}.
     */
    public JobProgress savedProgress(String namespace, String job) {
        io.scoria.backend.Names.checkNamespace(namespace);
        if (!List.of("repair", "rebalance", "reencode").contains(job)) {
            throw new IllegalArgumentException("job must be repair, rebalance or reencode: '" + job + "'");
        }
        return jobs.checkpoints().load(namespace, job);
    }

    /**
     * Deletes fragments that no manifest names and that are older than {@code grace} (so puts
     * in flight keep theirs); returns how many. Part of housekeeping after outages.
     */
    public long collectOrphans(String namespace, java.time.Duration grace) {
        if (grace == null || grace.isNegative()) {
            throw new IllegalArgumentException("grace must be >= 0: " + grace);
        }
        return new io.scoria.distributor.jobs.OrphanCollector(storeSet, manifests).collect(namespace, grace);
    }

    /** Moves fragments so placement matches the current stores and domains; rebuilds those of removed stores. */
    public JobProgress rebalance(String namespace, String resumeAfter, Consumer<JobProgress> progress, BooleanSupplier stop) {
        return jobs.run(Jobs.Kind.REBALANCE, namespace, null, resumeAfter, progress, stop);
    }

    /**
     * Re-encodes every object whose code differs from {@code target}; readers keep reading
     * (each object switches atomically with its manifest).
     */
    public JobProgress reencode(String namespace, Policy target, String resumeAfter, Consumer<JobProgress> progress,
                                BooleanSupplier stop) {
        if (target == null) {
            throw new IllegalArgumentException("target policy must not be null");
        }
        if (target.totalFragments() > storeSet.stores().size()) {
            throw new IllegalArgumentException("target policy " + target + " needs " + target.totalFragments()
                    + " stores, only " + storeSet.stores().size() + " configured");
        }
        return jobs.run(Jobs.Kind.REENCODE, namespace, target, resumeAfter, progress, stop);
    }

    @Override
    protected void doClose() {
        storeSet.close();
        for (FragmentStore s : storeSet.stores()) {
            s.store().close();
        }
    }
}
