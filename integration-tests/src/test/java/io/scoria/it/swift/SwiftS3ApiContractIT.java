package io.scoria.it.swift;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.it.harness.SwiftAllInOne;

/**
 * The ObjectStore contract through the S3 backend (AWS SDK v2) against the {@code s3api}
 * middleware of a real Swift all-in-one. Swift 2.30's s3api refuses conditional PUTs
 * ("Conditional object PUTs are not supported"), so put-if-absent is off here and the suite
 * checks that it is refused; objects over 16 MiB go through s3api multipart uploads (SLO).
 */
class SwiftS3ApiContractIT extends ObjectStoreContractTest {
    private SwiftAllInOne swift;

    @Override
    protected ObjectStore openStore() throws Exception {
        swift = SwiftAllInOne.start();
        return new S3ObjectStore(S3StoreConfig.of(swift.proxyUrl(), SwiftAllInOne.S3_ACCESS_KEY,
                SwiftAllInOne.S3_SECRET_KEY).withLegacyChecksums(true).withConditionalPut(false));
    }

    @Override
    protected void afterStore() {
        if (swift != null) {
            swift.close();
        }
    }
}
