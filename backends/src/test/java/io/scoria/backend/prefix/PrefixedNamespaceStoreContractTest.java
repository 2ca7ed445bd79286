package io.scoria.backend.prefix;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.testing.InMemoryObjectStore;

/** Namespaces as prefixes of one namespace keep every promise of a store. */
class PrefixedNamespaceStoreContractTest extends ObjectStoreContractTest {
    @Override
    protected ObjectStore openStore() {
        return new PrefixedNamespaceStore(new InMemoryObjectStore(), "shared-bucket");
    }
}
