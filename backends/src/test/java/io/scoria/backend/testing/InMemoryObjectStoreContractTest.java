package io.scoria.backend.testing;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;

class InMemoryObjectStoreContractTest extends ObjectStoreContractTest {
    @Override
    protected ObjectStore openStore() {
        return new InMemoryObjectStore();
    }
}
