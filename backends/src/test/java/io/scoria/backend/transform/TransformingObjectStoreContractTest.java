package io.scoria.backend.transform;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Nested;

import java.util.List;

/** The ObjectStore contract over the transforming decorator, once per kind of policy. */
class TransformingObjectStoreContractTest {
    static TransformingObjectStore over(ObjectStore backend, String policy) {
        KeyRing ring = new KeyRing(backend, KeyRing.DEFAULT_NAMESPACE, KeyEncryptionKey.random(), List.of());
        return new TransformingObjectStore(backend, ring, null, TransformPolicy.parse(policy));
    }

    @Nested
    class ZstdAndAesGcm extends ObjectStoreContractTest {
        @Override
        protected ObjectStore openStore() {
            return over(new InMemoryObjectStore(), "zstd:1+aes-256-gcm");
        }
    }

    @Nested
    class Lz4Only extends ObjectStoreContractTest {
        @Override
        protected ObjectStore openStore() {
            return over(new InMemoryObjectStore(), "lz4");
        }
    }

    @Nested
    class AesGcmOnly extends ObjectStoreContractTest {
        @Override
        protected ObjectStore openStore() {
            return over(new InMemoryObjectStore(), "none+aes-256-gcm");
        }
    }
}
