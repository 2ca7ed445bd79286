package io.scoria.accelerator.volume;

import io.scoria.backend.ObjectStore;
import io.scoria.sco.cache.ScoFileCipher;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the node keeps per backend namespace besides its volumes: the SCO ranges cold reads fetched
 * ({@link FetchedRanges}) and the cipher of the local SCO files of an encrypted namespace. Both are keyed
 * by namespace name, and a namespace deleted and made again under the same name (here or on another
 * router) starts over with other SCOs and another key, so {@link #forget} drops both when that can have
 * happened. Thread-safe.
 */
final class NamespaceCaches {
    private final VolumeTransforms transforms;
    private final FetchedRanges fetchedRanges;
    /** Absent: not looked up yet; empty: the namespace is not encrypted. */
    private final Map<String, Optional<ScoFileCipher>> scoCiphers = new ConcurrentHashMap<>();

    NamespaceCaches(ObjectStore store, VolumeTransforms transforms, int fetchedRangeSlots) {
        this.transforms = transforms;
        this.fetchedRanges = new FetchedRanges(store, fetchedRangeSlots);
    }

    FetchedRanges fetchedRanges() {
        return fetchedRanges;
    }

    /** The cipher of the namespace's local SCO files, or null if it is not encrypted (looked up once). */
    ScoFileCipher scoCipher(String namespace) {
        return scoCiphers.computeIfAbsent(namespace, ns -> Optional.ofNullable(transforms.scoCipher(ns))).orElse(null);
    }

    /** Looks the namespace's cipher up again next time (it may have been deleted and made again elsewhere). */
    void forgetCipher(String namespace) {
        scoCiphers.remove(namespace);
    }

    /** The namespace was deleted or made (again): drops everything kept of it. */
    void forget(String namespace) {
        scoCiphers.remove(namespace);
        fetchedRanges.forget(namespace);
    }
}
