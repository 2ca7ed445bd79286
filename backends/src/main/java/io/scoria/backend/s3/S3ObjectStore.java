package io.scoria.backend.s3;

import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.Capabilities;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.PreconditionFailedException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Objects in S3 or an S3-compatible server (s3proxy, Swift s3api, MinIO) through the AWS SDK
 * v2: one bucket per namespace. Objects above the multipart threshold are uploaded in parts
 * (an incomplete multipart upload is aborted, so a failed put never leaves a visible object).
 * Ranged reads are HTTP Range GETs that stream straight into the caller's buffer.
 * Thread-safe; the SDK client pools connections.
 */
public final class S3ObjectStore extends AbstractObjectStore {
    private static final long S3_MAX_OBJECT = 5L << 40;
    private static final int COPY_CHUNK = 64 << 10;

    private final S3StoreConfig config;
    private final S3Client s3;
    private final String name;
    private final Capabilities capabilities;

    public S3ObjectStore(S3StoreConfig config) {
        this.config = config;
        this.name = "s3(" + (config.endpoint() == null ? "aws/" + config.region() : config.endpoint()) + ")";
        long maxObject = Math.min(S3_MAX_OBJECT, config.partSize() * 10_000L);
        this.capabilities = new Capabilities(true, config.conditionalPut(), maxObject, 1024);
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyle())
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(64)
                        .connectionTimeout(Duration.ofSeconds(3))
                        .socketTimeout(config.requestTimeout()))
                .overrideConfiguration(o -> o
                        .apiCallAttemptTimeout(config.requestTimeout())
                        .retryStrategy(b -> b.maxAttempts(config.maxAttempts())))
                .credentialsProvider(config.accessKey() == null
                        ? DefaultCredentialsProvider.builder().build()
                        : StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey(), config.secretKey())));
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
        }
        if (config.legacyChecksums()) {
            builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .serviceConfiguration(c -> c.chunkedEncodingEnabled(false))
                    .addPlugin(LegacyMd5Plugin.create());
        }
        this.s3 = builder.build();
    }

    public S3StoreConfig config() {
        return config;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        if (doNamespaceExists(namespace)) {
            return false;
        }
        try {
            call("create bucket " + namespace, () -> s3.createBucket(b -> b.bucket(namespace)));
            return true;
        } catch (BucketAlreadyOwnedByYouException e) {
            return false;
        } catch (S3Exception e) {
            if ("BucketAlreadyOwnedByYou".equals(code(e)) || "BucketAlreadyExists".equals(code(e))) {
                return false;
            }
            throw translate("create bucket " + namespace, namespace, null, e);
        }
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        if (!doNamespaceExists(namespace)) {
            return false;
        }
        String after = null;
        do {
            ObjectPage page = doList(namespace, "", after, 1000);
            if (!page.objects().isEmpty()) {
                List<ObjectIdentifier> ids = page.objects().stream()
                        .map(o -> ObjectIdentifier.builder().key(o.key()).build()).toList();
                call("delete objects in " + namespace, () -> s3.deleteObjects(b -> b.bucket(namespace)
                        .delete(Delete.builder().objects(ids).quiet(true).build())));
            }
            after = page.nextAfter();
        } while (after != null);
        try {
            call("delete bucket " + namespace, () -> s3.deleteBucket(b -> b.bucket(namespace)));
            return true;
        } catch (NoSuchBucketException e) {
            return false;
        }
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        try {
            call("head bucket " + namespace, () -> s3.headBucket(b -> b.bucket(namespace)));
            return true;
        } catch (NoSuchBucketException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw translate("head bucket " + namespace, namespace, null, e);
        }
    }

    @Override
    protected List<String> doListNamespaces() {
        return call("list buckets", () -> s3.listBuckets()).buckets().stream().map(Bucket::name).sorted().toList();
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        long size = data.remaining();
        if (size > config.multipartThreshold()) {
            multipart(namespace, key, size, (offset, length) -> RequestBody.fromContentProvider(
                    () -> new ByteBufferInputStream(slice(data, offset, length)), length, "application/octet-stream"));
            return;
        }
        RequestBody body = RequestBody.fromContentProvider(() -> new ByteBufferInputStream(data.duplicate()), size,
                "application/octet-stream");
        call(namespace, key, "put", () -> s3.putObject(b -> b.bucket(namespace).key(key).contentLength(size), body));
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        if (size > config.multipartThreshold()) {
            multipart(namespace, key, size, (offset, length) -> RequestBody.fromContentProvider(
                    () -> FileRangeInputStream.open(file, offset, length), length, "application/octet-stream"));
            return;
        }
        call(namespace, key, "put", () -> s3.putObject(b -> b.bucket(namespace).key(key).contentLength(size),
                RequestBody.fromFile(file)));
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        long size = data.remaining();
        RequestBody body = RequestBody.fromContentProvider(() -> new ByteBufferInputStream(data.duplicate()), size,
                "application/octet-stream");
        try {
            s3.putObject(b -> b.bucket(namespace).key(key).contentLength(size).ifNoneMatch("*"), body);
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                throw new PreconditionFailedException(name + ": object '" + key + "' already exists in '" + namespace + "'");
            }
            throw translate("put-if-absent", namespace, key, e);
        } catch (SdkException e) {
            throw translate("put-if-absent", namespace, key, e);
        }
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        return ByteBuffer.wrap(call(namespace, key, "get",
                () -> s3.getObjectAsBytes(b -> b.bucket(namespace).key(key))).asByteArrayUnsafe());
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        int length = dst.remaining();
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(b -> b.bucket(namespace).key(key).range(range));
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                throw pastEnd(namespace, key, offset, length, doStat(namespace, key).size());
            }
            throw translate("read", namespace, key, e);
        } catch (SdkException e) {
            throw translate("read", namespace, key, e);
        }
        try (in) {
            Long got = in.response().contentLength();
            if (got == null || got != length) {
                in.abort();
                throw pastEnd(namespace, key, offset, length, doStat(namespace, key).size());
            }
            copy(in, dst, length);
        } catch (IOException e) {
            throw new BackendUnavailableException(name + ": read of " + namespace + "/" + key + " broke off: " + e, e);
        }
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(namespace).key(key));
            return new ObjectInfo(key, head.contentLength(), head.lastModified() == null ? Instant.EPOCH : head.lastModified());
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw doNamespaceExists(namespace) ? notFound(namespace, key) : notFound(namespace, null);
            }
            throw translate("stat", namespace, key, e);
        } catch (SdkException e) {
            throw translate("stat", namespace, key, e);
        }
    }

    @Override
    protected void doDelete(String namespace, String key) {
        call(namespace, key, "delete", () -> s3.deleteObject(b -> b.bucket(namespace).key(key)));
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        ListObjectsV2Response r = call(namespace, null, "list", () -> s3.listObjectsV2(b -> {
            b.bucket(namespace).maxKeys(limit);
            if (!prefix.isEmpty()) {
                b.prefix(prefix);
            }
            if (startAfter != null) {
                b.startAfter(startAfter);
            }
        }));
        List<ObjectInfo> objects = new ArrayList<>(r.contents().size());
        for (S3Object o : r.contents()) {
            objects.add(new ObjectInfo(o.key(), o.size(), o.lastModified() == null ? Instant.EPOCH : o.lastModified()));
        }
        boolean more = Boolean.TRUE.equals(r.isTruncated()) && !objects.isEmpty();
        return new ObjectPage(objects, more ? objects.get(objects.size() - 1).key() : null);
    }

    @Override
    protected void doClose() {
        s3.close();
    }

    private interface PartBody {
        RequestBody part(long offset, long length);
    }

    private void multipart(String namespace, String key, long size, PartBody bodies) {
        String uploadId = call(namespace, key, "start multipart upload",
                () -> s3.createMultipartUpload(b -> b.bucket(namespace).key(key))).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < size; offset += config.partSize(), number++) {
                long length = Math.min(config.partSize(), size - offset);
                long partOffset = offset;
                int partNumber = number;
                String etag = call(namespace, key, "upload part " + partNumber, () -> s3.uploadPart(b -> b.bucket(namespace)
                        .key(key).uploadId(uploadId).partNumber(partNumber).contentLength(length),
                        bodies.part(partOffset, length))).eTag();
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
            }
            call(namespace, key, "complete multipart upload", () -> s3.completeMultipartUpload(b -> b.bucket(namespace)
                    .key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
        } catch (RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(namespace).key(key).uploadId(uploadId));
            } catch (SdkException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    private static ByteBuffer slice(ByteBuffer data, long offset, long length) {
        ByteBuffer d = data.duplicate();
        d.position(d.position() + (int) offset);
        d.limit(d.position() + (int) length);
        return d;
    }

    private static void copy(InputStream in, ByteBuffer dst, int length) throws IOException {
        if (dst.hasArray()) {
            int base = dst.arrayOffset() + dst.position();
            int done = 0;
            while (done < length) {
                int n = in.read(dst.array(), base + done, length - done);
                if (n < 0) {
                    throw new IOException("stream ended after " + done + " of " + length + " bytes");
                }
                done += n;
            }
            dst.position(dst.position() + length);
            return;
        }
        byte[] chunk = new byte[Math.min(COPY_CHUNK, length)];
        int done = 0;
        while (done < length) {
            int n = in.read(chunk, 0, Math.min(chunk.length, length - done));
            if (n < 0) {
                throw new IOException("stream ended after " + done + " of " + length + " bytes");
            }
            dst.put(chunk, 0, n);
            done += n;
        }
    }

    private <T> T call(String what, Supplier<T> op) {
        try {
            return op.get();
        } catch (NoSuchBucketException | BucketAlreadyOwnedByYouException e) {
            throw e;
        } catch (S3Exception e) {
            throw translate(what, null, null, e);
        } catch (SdkException e) {
            throw translate(what, null, null, e);
        }
    }

    private <T> T call(String namespace, String key, String what, Supplier<T> op) {
        try {
            return op.get();
        } catch (SdkException e) {
            throw translate(what, namespace, key, e);
        }
    }

    private static String code(S3Exception e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }

    private BackendException translate(String what, String namespace, String key, SdkException e) {
        String where = namespace == null ? "" : " " + namespace + (key == null ? "" : "/" + key);
        if (e instanceof NoSuchBucketException || (e instanceof S3Exception s && "NoSuchBucket".equals(code(s)))) {
            return notFound(namespace, null);
        }
        if (e instanceof NoSuchKeyException || (e instanceof S3Exception s && "NoSuchKey".equals(code(s)))) {
            return notFound(namespace, key);
        }
        if (e instanceof S3Exception s) {
            int status = s.statusCode();
            String detail = code(s) == null ? "HTTP " + status : code(s) + " (HTTP " + status + ")";
            if (status == 403) {
                return new BackendUnavailableException(name + ": access denied to " + what + where + ": " + detail
                        + "; check the access key and secret key");
            }
            if (status == 404) {
                return key == null ? notFound(namespace, null) : notFound(namespace, key);
            }
            return new BackendUnavailableException(name + ": " + what + where + " failed: " + detail, e);
        }
        if (e instanceof SdkClientException) {
            return new BackendUnavailableException(name + ": cannot reach endpoint for " + what + where + ": "
                    + rootMessage(e), e);
        }
        return new BackendUnavailableException(name + ": " + what + where + " failed: " + rootMessage(e), e);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (" + root + ")";
    }
}
