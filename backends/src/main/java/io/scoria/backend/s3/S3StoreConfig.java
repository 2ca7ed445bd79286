package io.scoria.backend.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of an {@link S3ObjectStore}.
 *
 * @param endpoint            endpoint override (s3proxy, Swift s3api, MinIO); null for AWS
 * @param region              signing region, e.g. {@code us-east-1}
 * @param pathStyle           path-style addressing ({@code endpoint/bucket/key}), needed by most
 *                            non-AWS servers
 * @param accessKey           access key; null to use the SDK's default credential chain. Never
 *                            printed by {@link #toString()}
 * @param secretKey           secret key; null exactly when {@code accessKey} is null. Never
 *                            printed by {@link #toString()}
 * @param multipartThreshold  objects larger than this are uploaded in parts (default 512 MiB: a
 *                            multipart upload costs parts + 2 requests, so SCOs and distributor
 *                            fragments, up to 256 MiB, go in one PUT)
 * @param partSize            part size of multipart uploads (5 MiB to 5 GiB)
 * @param maxAttempts         attempts per request, including the first (retries with backoff on
 *                            5xx, throttling and connection errors)
 * @param requestTimeout      time limit of one attempt
 * @param legacyChecksums     send checksums only when required, no chunked encoding, Content-MD5
 *                            where S3 asked for it: needed by servers that predate the 2025
 *                            SDK defaults, such as Swift's s3api
 * @param conditionalPut      the server honours {@code If-None-Match: *} on PUT, so
 *                            put-if-absent is atomic
 */
public record S3StoreConfig(URI endpoint, String region, boolean pathStyle, String accessKey, String secretKey,
                            long multipartThreshold, long partSize, int maxAttempts, Duration requestTimeout,
                            boolean legacyChecksums, boolean conditionalPut) {
    public static final long MIN_PART = 5L << 20;
    public static final long MAX_PART = 5L << 30;
    public static final String DEFAULT_REGION = "us-east-1";

    public S3StoreConfig {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (region.isBlank()) {
            throw new IllegalArgumentException("region must not be blank");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("accessKey and secretKey must be given together");
        }
        if (endpoint != null && (endpoint.getScheme() == null || endpoint.getHost() == null)) {
            throw new IllegalArgumentException("endpoint must be an absolute http(s) URL: " + endpoint);
        }
        if (partSize < MIN_PART || partSize > MAX_PART) {
            throw new IllegalArgumentException("partSize must be 5 MiB to 5 GiB: " + partSize);
        }
        if (multipartThreshold < partSize || multipartThreshold > MAX_PART) {
            throw new IllegalArgumentException("multipartThreshold must be from partSize to 5 GiB: " + multipartThreshold);
        }
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new IllegalArgumentException("maxAttempts must be 1 to 20: " + maxAttempts);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
        }
    }

    /** A path-style configuration with static credentials and the defaults for everything else. */
    public static S3StoreConfig of(URI endpoint, String accessKey, String secretKey) {
        return new S3StoreConfig(endpoint, DEFAULT_REGION, true, accessKey, secretKey, 512L << 20, 64L << 20, 4,
                Duration.ofSeconds(60), false, false);
    }

    public S3StoreConfig withLegacyChecksums(boolean legacy) {
        return new S3StoreConfig(endpoint, region, pathStyle, accessKey, secretKey, multipartThreshold, partSize,
                maxAttempts, requestTimeout, legacy, conditionalPut);
    }

    public S3StoreConfig withConditionalPut(boolean conditional) {
        return new S3StoreConfig(endpoint, region, pathStyle, accessKey, secretKey, multipartThreshold, partSize,
                maxAttempts, requestTimeout, legacyChecksums, conditional);
    }

    public S3StoreConfig withMaxAttempts(int attempts) {
        return new S3StoreConfig(endpoint, region, pathStyle, accessKey, secretKey, multipartThreshold, partSize,
                attempts, requestTimeout, legacyChecksums, conditionalPut);
    }

    /** Like the record's, but the access and secret keys are masked. */
    @Override
    public String toString() {
        return "S3StoreConfig[endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle
                + ", accessKey=" + (accessKey == null ? null : "***") + ", secretKey=" + (secretKey == null ? null : "***")
                + ", multipartThreshold=" + multipartThreshold + ", partSize=" + partSize + ", maxAttempts=" + maxAttempts
                + ", requestTimeout=" + requestTimeout + ", legacyChecksums=" + legacyChecksums
                + ", conditionalPut=" + conditionalPut + "]";
    }
}
