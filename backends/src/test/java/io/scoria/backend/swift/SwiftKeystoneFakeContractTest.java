package io.scoria.backend.swift;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;

/**
 * The ObjectStore contract through {@link SwiftObjectStore} with Keystone v3 auth against
 * {@link FakeSwift}: no Keystone can run here, so this is how the Keystone path sees the whole
 * suite. The same store with TempAuth runs against a real Swift in SwiftNativeContractIT.
 */
class SwiftKeystoneFakeContractTest extends ObjectStoreContractTest {
    private FakeSwift fake;

    @Override
    protected ObjectStore openStore() throws Exception {
        fake = new FakeSwift();
        return new SwiftObjectStore(SwiftStoreConfig.keystone(fake.keystoneUrl(), FakeSwift.USER, FakeSwift.PASSWORD,
                FakeSwift.PROJECT, FakeSwift.DOMAIN, "RegionTwo"));
    }

    @Override
    protected void afterStore() {
        if (fake != null) {
            fake.close();
        }
    }
}
