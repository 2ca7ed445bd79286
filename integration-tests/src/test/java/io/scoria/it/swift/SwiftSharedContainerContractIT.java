package io.scoria.it.swift;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.prefix.PrefixedNamespaceStore;
import io.scoria.backend.swift.SwiftObjectStore;
import io.scoria.backend.swift.SwiftStoreConfig;
import io.scoria.it.harness.SwiftAllInOne;

/** The ObjectStore contract with every namespace under a prefix of one container (swift {@code container:}). */
class SwiftSharedContainerContractIT extends ObjectStoreContractTest {
    private SwiftAllInOne swift;

    @Override
    protected ObjectStore openStore() throws Exception {
        swift = SwiftAllInOne.start();
        return new PrefixedNamespaceStore(new SwiftObjectStore(SwiftStoreConfig.tempAuth(swift.authUrl(), SwiftAllInOne.USER,
                SwiftAllInOne.KEY)), "scoria-volumes");
    }

    @Override
    protected void afterStore() {
        if (swift != null) {
            swift.close();
        }
    }
}
