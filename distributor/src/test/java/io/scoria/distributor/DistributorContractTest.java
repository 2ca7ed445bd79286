package io.scoria.distributor;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.distributor.store.Distributor;

import java.util.ArrayList;
import java.util.List;

/** The distributor, 4+2 over 6 in-memory stores, is an ObjectStore like any other. */
class DistributorContractTest extends ObjectStoreContractTest {
    @Override
    protected ObjectStore openStore() {
        List<FragmentStore> stores = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            stores.add(FragmentStore.of("s" + i, new InMemoryObjectStore("mem" + i)));
        }
        return new Distributor(DistributorConfig.of(stores, Policy.of(4, 6)));
    }
}
