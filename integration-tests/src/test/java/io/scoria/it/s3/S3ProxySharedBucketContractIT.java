package io.scoria.it.s3;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.prefix.PrefixedNamespaceStore;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.it.harness.S3ProxyServer;

/** The ObjectStore contract with every namespace under a prefix of one bucket (s3 {@code bucket:}), on s3proxy. */
class S3ProxySharedBucketContractIT extends ObjectStoreContractTest {
    private S3ProxyServer server;

    @Override
    protected ObjectStore openStore() throws Exception {
        server = S3ProxyServer.start("shared");
        return new PrefixedNamespaceStore(new S3ObjectStore(S3StoreConfig.of(server.endpoint(), S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY).withConditionalPut(true)), "scoria-volumes");
    }

    @Override
    protected void afterStore() throws Exception {
        if (server != null) {
            server.close();
        }
    }
}
