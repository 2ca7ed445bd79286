package io.scoria.backend.testing;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;

/** A fault-injecting wrapper with no faults set must behave exactly like its delegate. */
class FaultInjectingStoreContractTest extends ObjectStoreContractTest {
    @Override
    protected ObjectStore openStore() {
        return new FaultInjectingStore(new InMemoryObjectStore());
    }
}
