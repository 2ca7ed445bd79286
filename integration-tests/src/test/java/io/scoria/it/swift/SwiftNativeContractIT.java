package io.scoria.it.swift;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.swift.SwiftObjectStore;
import io.scoria.backend.swift.SwiftStoreConfig;
import io.scoria.it.harness.SwiftAllInOne;

/** The ObjectStore contract through the native Swift API (TempAuth) against a real Swift all-in-one. */
class SwiftNativeContractIT extends ObjectStoreContractTest {
    private SwiftAllInOne swift;

    @Override
    protected ObjectStore openStore() throws Exception {
        swift = SwiftAllInOne.start();
        return new SwiftObjectStore(SwiftStoreConfig.tempAuth(swift.authUrl(), SwiftAllInOne.USER, SwiftAllInOne.KEY));
    }

    @Override
    protected void afterStore() {
        if (swift != null) {
            swift.close();
        }
    }
}
