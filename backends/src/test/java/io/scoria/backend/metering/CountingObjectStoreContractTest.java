package io.scoria.backend.metering;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.testing.InMemoryObjectStore;

/** The counting decorator keeps every promise of the store it wraps. */
class CountingObjectStoreContractTest extends ObjectStoreContractTest {
    @Override
    protected ObjectStore openStore() {
        return new CountingObjectStore(new InMemoryObjectStore(), "mem", new RequestLedger());
    }
}
