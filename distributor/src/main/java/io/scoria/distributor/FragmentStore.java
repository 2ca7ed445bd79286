package io.scoria.distributor;

import io.scoria.backend.ObjectStore;

/**
 * One store the distributor spreads fragments over.
 *
 * @param name          unique, stable name recorded in manifests (renaming a store makes its
 *                      fragments look lost); 1-64 characters of [A-Za-z0-9._-]
 * @param failureDomain what fails together (a node, a rack); null means the store alone
 * @param store         the backend; the distributor closes it when it is closed
 */
public record FragmentStore(String name, String failureDomain, ObjectStore store) {
    public FragmentStore {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("fragment store name must be 1-64 characters of [A-Za-z0-9._-]: '" + name + "'");
        }
        if (failureDomain == null || failureDomain.isBlank()) {
            failureDomain = "store:" + name;
        }
        if (store == null) {
            throw new IllegalArgumentException("fragment store '" + name + "' needs a store");
        }
    }

    public static FragmentStore of(String name, ObjectStore store) {
        return new FragmentStore(name, null, store);
    }
}
