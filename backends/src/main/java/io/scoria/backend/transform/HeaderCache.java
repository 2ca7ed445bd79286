package io.scoria.backend.transform;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parsed headers of recently read transformed objects, so that a ranged read of a hot SCO
 * costs one GET of its chunks rather than two. Least recently used entries go first. An entry
 * may be stale when another process replaced the object; readers detect that (the chunk fails
 * authentication or its CRC32C, or its range passes the end) and retry once without the cache.
 * Thread-safe (synchronized; entries are immutable).
 */
final class HeaderCache {
    private final Map<String, ObjectHeader> entries;

    HeaderCache(int capacity) {
        this.entries = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ObjectHeader> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized ObjectHeader get(String namespace, String key) {
        return entries.get(id(namespace, key));
    }

    synchronized void put(String namespace, String key, ObjectHeader header) {
        entries.put(id(namespace, key), header);
    }

    synchronized void remove(String namespace, String key) {
        entries.remove(id(namespace, key));
    }

    synchronized void removeNamespace(String namespace) {
        String prefix = namespace + '\0';
        entries.keySet().removeIf(k -> k.startsWith(prefix));
    }

    private static String id(String namespace, String key) {
        return namespace + '\0' + key;
    }
}
