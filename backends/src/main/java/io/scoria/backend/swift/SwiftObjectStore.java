package io.scoria.backend.swift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.Capabilities;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.backend.swift.SwiftHttp.Retry;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An {@link io.scoria.backend.ObjectStore} on the native OpenStack Swift API: a namespace is a
 * container, a key an object name. Authenticates with TempAuth v1 or Keystone v3
 * ({@link SwiftStoreConfig}), renews the token on 401 (once per call), and retries idempotent
 * calls after 5xx replies and transport errors with exponential backoff. Every put carries
 * the MD5 of its bytes as {@code ETag}, so Swift refuses a body damaged in transit; a whole
 * get is checked against the stored MD5. Put-if-absent uses {@code If-None-Match: *}.
 *
 * <p>Objects up to 5 GiB (Swift's single-object limit; no SLO), names up to 1024 bytes.
 * Thread-safe; buffer ownership as in {@link io.scoria.backend.ObjectStore}.
 */
public final class SwiftObjectStore extends AbstractObjectStore {
    /** Swift's default {@code max_file_size} is 5 GiB + 2 bytes; 5 GiB keeps a margin. */
    public static final long MAX_OBJECT_SIZE = 5L << 30;
    /** Swift's default {@code max_object_name_length}. */
    public static final int MAX_KEY_LENGTH = 1024;
    private static final int LISTING_PAGE = 10_000;
    private static final int DELETE_NAMESPACE_ROUNDS = 10;
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, MAX_OBJECT_SIZE, MAX_KEY_LENGTH);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final SwiftHttp http;

    /** Creates the store; authentication happens on the first call and whenever a token is refused. */
    public SwiftObjectStore(SwiftStoreConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.name = "swift(" + config.authUrl() + ")";
        this.http = new SwiftHttp(name, config);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    /** The account's storage URL (authenticates if needed); for messages and diagnostics. */
    public String storageUrl() {
        return http.storageUrl();
    }

    @Override
    protected boolean doCreateNamespace(String namespace) {
        String what = "PUT container " + namespace;
        HttpResponse<byte[]> r = http.send(what, s -> request(s, containerUrl(s, namespace)).PUT(noBody()).build(),
                HttpResponse.BodyHandlers.ofByteArray(), Retry.IDEMPOTENT);
        return switch (r.statusCode()) {
            case 201 -> true;
            case 202, 204 -> false;
            default -> throw unexpected(what, r, r.body());
        };
    }

    @Override
    protected boolean doDeleteNamespace(String namespace) {
        if (!doNamespaceExists(namespace)) {
            return false;
        }
        String what = "DELETE container " + namespace;
        for (int round = 0; round < DELETE_NAMESPACE_ROUNDS; round++) {
            String after = null;
            do {
                ObjectPage page = doList(namespace, "", after, LISTING_PAGE);
                for (ObjectInfo object : page.objects()) {
                    doDelete(namespace, object.key());
                }
                after = page.nextAfter();
            } while (after != null);
            HttpResponse<byte[]> r = http.send(what, s -> request(s, containerUrl(s, namespace)).DELETE().build(),
                    HttpResponse.BodyHandlers.ofByteArray(), Retry.IDEMPOTENT);
            int status = r.statusCode();
            if (status / 100 == 2 || status == 404) {
                return true;
            }
            if (status != 409) {
                throw unexpected(what, r, r.body());
            }
            // 409: objects were added meanwhile, or the listing lagged behind a delete; go again.
        }
        throw new PreconditionFailedException(name + ": container '" + namespace + "' is still not empty after "
                + DELETE_NAMESPACE_ROUNDS + " rounds of deleting its objects; is another client writing to it?");
    }

    @Override
    protected boolean doNamespaceExists(String namespace) {
        String what = "HEAD container " + namespace;
        HttpResponse<Void> r = http.send(what, s -> request(s, containerUrl(s, namespace)).method("HEAD", noBody()).build(),
                HttpResponse.BodyHandlers.discarding(), Retry.IDEMPOTENT);
        if (r.statusCode() / 100 == 2) {
            return true;
        }
        if (r.statusCode() == 404) {
            return false;
        }
        throw unexpected(what, r, null);
    }

    @Override
    protected List<String> doListNamespaces() {
        List<String> names = new ArrayList<>();
        String marker = null;
        while (true) {
            JsonNode page = listing("GET account", null, "", marker, LISTING_PAGE);
            for (JsonNode container : page) {
                names.add(container.path("name").asText());
            }
            if (page.size() < LISTING_PAGE) {
                break;
            }
            marker = names.get(names.size() - 1);
        }
        names.sort(null);
        return names;
    }

    @Override
    protected void doPut(String namespace, String key, ByteBuffer data) {
        putBuffer(namespace, key, data, false);
    }

    @Override
    protected void doPutIfAbsent(String namespace, String key, ByteBuffer data) {
        putBuffer(namespace, key, data, true);
    }

    private void putBuffer(String namespace, String key, ByteBuffer data, boolean ifAbsent) {
        String md5 = Md5.of(data);
        HttpRequest.BodyPublisher body = data.hasArray() && !data.isReadOnly()
                ? HttpRequest.BodyPublishers.ofByteArray(data.array(), data.arrayOffset() + data.position(),
                data.remaining())
                : new BufferBodyPublisher(data);
        putObject(namespace, key, body, md5, ifAbsent);
    }

    @Override
    protected void doPutFile(String namespace, String key, Path file, long size) {
        String md5 = Md5.of(file, size);
        HttpRequest.BodyPublisher body;
        try {
            body = HttpRequest.BodyPublishers.ofFile(file);
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("file " + file + " does not exist", e);
        }
        if (body.contentLength() != size) {
            throw new UncheckedIOException(new IOException("file " + file + " changed size while being stored"));
        }
        putObject(namespace, key, body, md5, false);
    }

    private void putObject(String namespace, String key, HttpRequest.BodyPublisher body, String md5, boolean ifAbsent) {
        String what = (ifAbsent ? "PUT (if absent) " : "PUT ") + namespace + "/" + key;
        HttpResponse<byte[]> r = http.send(what, s -> {
            HttpRequest.Builder b = request(s, objectUrl(s, namespace, key))
                    .header("ETag", md5)
                    .header("Content-Type", "application/octet-stream");
            if (ifAbsent) {
                b.header("If-None-Match", "*");
            }
            return b.PUT(body).build();
        }, HttpResponse.BodyHandlers.ofByteArray(), ifAbsent ? Retry.CONNECT_ONLY : Retry.IDEMPOTENT);
        switch (r.statusCode()) {
            case 201, 202, 204 -> {
                String etag = etag(r.headers());
                if (etag != null && !etag.equalsIgnoreCase(md5)) {
                    throw new CorruptDataException(name + ": " + what + " stored ETag " + etag + " but the data's MD5 is "
                            + md5);
                }
            }
            case 404 -> throw notFound(namespace, null);
            case 412 -> throw new PreconditionFailedException(name + ": object '" + key + "' already exists in namespace '"
                    + namespace + "'");
            case 422 -> throw new CorruptDataException(name + ": " + what + " at " + r.uri()
                    + ": Swift refused the body because its MD5 differs from " + md5 + " (damaged in transit)");
            default -> throw unexpected(what, r, r.body());
        }
    }

    @Override
    protected ByteBuffer doGet(String namespace, String key) {
        String what = "GET " + namespace + "/" + key;
        HttpResponse<Body> r = http.send(what, s -> request(s, objectUrl(s, namespace, key)).GET().build(),
                info -> info.statusCode() == 200 ? Body.into(allocate(what, info.headers())) : Body.errorReply(),
                Retry.IDEMPOTENT);
        if (r.statusCode() == 404) {
            throw missing(namespace, key);
        }
        if (r.statusCode() != 200) {
            throw unexpected(what, r, r.body().error());
        }
        ByteBuffer data = r.body().data().flip();
        String etag = etag(r.headers());
        boolean plainObject = r.headers().firstValue("X-Static-Large-Object").isEmpty()
                && r.headers().firstValue("X-Object-Manifest").isEmpty();
        if (plainObject && etag != null && etag.length() == 32) {
            String actual = Md5.of(data);
            if (!actual.equalsIgnoreCase(etag)) {
                throw new CorruptDataException(name + ": " + what + " returned bytes with MD5 " + actual
                        + " but Swift's ETag is " + etag);
            }
        }
        return data;
    }

    private ByteBuffer allocate(String what, HttpHeaders headers) {
        long length = headers.firstValueAsLong("Content-Length").orElse(-1);
        if (length < 0 || length > Integer.MAX_VALUE - 16) {
            throw new UncheckedIOException(new IOException(what + ": object of " + length
                    + " bytes does not fit in one buffer; use ranged reads"));
        }
        return ByteBuffer.allocate((int) length);
    }

    @Override
    protected void doRead(String namespace, String key, long offset, ByteBuffer dst) {
        int length = dst.remaining();
        long last = offset + length - 1;
        String what = "GET " + namespace + "/" + key + " bytes " + offset + "-" + last;
        ByteBuffer[] target = new ByteBuffer[1];
        HttpResponse<Body> r = http.send(what,
                s -> request(s, objectUrl(s, namespace, key)).header("Range", "bytes=" + offset + "-" + last).GET().build(),
                info -> {
                    boolean ranged = info.statusCode() == 206 || (info.statusCode() == 200 && offset == 0);
                    if (ranged && info.headers().firstValueAsLong("Content-Length").orElse(-1) == length) {
                        target[0] = dst.duplicate();
                        return Body.into(target[0]);
                    }
                    return Body.errorReply();
                }, Retry.IDEMPOTENT);
        int status = r.statusCode();
        if (status == 404) {
            throw missing(namespace, key);
        }
        if (status == 416 || ((status == 206 || status == 200) && r.body().data() == null)) {
            long size = doStat(namespace, key).size();
            if (offset + length > size) {
                throw pastEnd(namespace, key, offset, length, size);
            }
            throw new BackendException(name + ": " + what + " answered HTTP " + status + " with "
                    + r.headers().firstValue("Content-Length").orElse("no") + " bytes for a range inside the object"
                    + " (size " + size + ")");
        }
        if (status != 206 && status != 200) {
            throw unexpected(what, r, r.body().error());
        }
        if (target[0].position() != dst.position() + length) {
            throw new BackendUnavailableException(name + ": " + what + " returned " + (target[0].position()
                    - dst.position()) + " bytes instead of " + length);
        }
        dst.position(target[0].position());
    }

    @Override
    protected ObjectInfo doStat(String namespace, String key) {
        String what = "HEAD " + namespace + "/" + key;
        HttpResponse<Void> r = http.send(what,
                s -> request(s, objectUrl(s, namespace, key)).method("HEAD", noBody()).build(),
                HttpResponse.BodyHandlers.discarding(), Retry.IDEMPOTENT);
        if (r.statusCode() == 404) {
            throw missing(namespace, key);
        }
        if (r.statusCode() / 100 != 2) {
            throw unexpected(what, r, null);
        }
        long size = r.headers().firstValueAsLong("Content-Length").orElseThrow(() ->
                new BackendException(name + ": " + what + " answered without Content-Length"));
        return new ObjectInfo(key, size, lastModified(r.headers()));
    }

    @Override
    protected void doDelete(String namespace, String key) {
        String what = "DELETE " + namespace + "/" + key;
        HttpResponse<byte[]> r = http.send(what, s -> request(s, objectUrl(s, namespace, key)).DELETE().build(),
                HttpResponse.BodyHandlers.ofByteArray(), Retry.IDEMPOTENT);
        if (r.statusCode() / 100 != 2 && r.statusCode() != 404) {
            throw unexpected(what, r, r.body());
        }
    }

    @Override
    protected ObjectPage doList(String namespace, String prefix, String startAfter, int limit) {
        // Ask for one more than the page so that the last page says so (nextAfter == null);
        // at Swift's own maximum a full page may be followed by an empty one.
        int ask = Math.min(limit + 1, LISTING_PAGE);
        JsonNode page = listing("GET container " + namespace, namespace, prefix, startAfter, ask);
        List<ObjectInfo> objects = new ArrayList<>(Math.min(page.size(), limit));
        for (JsonNode entry : page) {
            if (objects.size() == limit) {
                break;
            }
            if (!entry.has("name")) {
                continue; // a "subdir" entry; never produced without a delimiter
            }
            objects.add(new ObjectInfo(entry.path("name").asText(), entry.path("bytes").asLong(),
                    listingTime(namespace, entry.path("last_modified").asText())));
        }
        boolean more = page.size() > limit || (ask == limit && page.size() == limit);
        String next = more && !objects.isEmpty() ? objects.get(objects.size() - 1).key() : null;
        return new ObjectPage(objects, next);
    }

    /** One JSON listing of the account ({@code namespace == null}) or of a container. */
    private JsonNode listing(String what, String namespace, String prefix, String marker, int limit) {
        StringBuilder query = new StringBuilder("?format=json&limit=").append(limit);
        if (!prefix.isEmpty()) {
            query.append("&prefix=").append(SwiftNames.encode(prefix));
        }
        if (marker != null) {
            query.append("&marker=").append(SwiftNames.encode(marker));
        }
        HttpResponse<byte[]> r = http.send(what, s -> request(s, (namespace == null ? s.storageUrl()
                        : containerUrl(s, namespace)) + query).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray(), Retry.IDEMPOTENT);
        if (r.statusCode() == 404 && namespace != null) {
            throw notFound(namespace, null);
        }
        if (r.statusCode() == 204) {
            return JSON.createArrayNode();
        }
        if (r.statusCode() != 200) {
            throw unexpected(what, r, r.body());
        }
        try {
            JsonNode node = JSON.readTree(r.body());
            if (node == null || !node.isArray()) {
                throw new BackendException(name + ": " + what + " returned a listing that is not a JSON array: "
                        + SwiftHttp.excerpt(r.body()));
            }
            return node;
        } catch (IOException e) {
            throw new BackendException(name + ": " + what + " returned a listing that is not JSON: " + e.getMessage(), e);
        }
    }

    private Instant listingTime(String namespace, String text) {
        try {
            return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new BackendException(name + ": listing of '" + namespace + "' has an unreadable last_modified '"
                    + text + "'", e);
        }
    }

    private Instant lastModified(HttpHeaders headers) {
        String timestamp = headers.firstValue("X-Timestamp").orElse(null);
        if (timestamp != null) {
            try {
                double seconds = Double.parseDouble(timestamp);
                long whole = (long) seconds;
                return Instant.ofEpochSecond(whole, Math.round((seconds - whole) * 1e6) * 1000);
            } catch (NumberFormatException ignored) {
                // fall back to Last-Modified
            }
        }
        return headers.firstValue("Last-Modified")
                .map(v -> ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant())
                .orElse(Instant.EPOCH);
    }

    /** A 404 on an object: says whether the namespace or the object is missing. */
    private BackendException missing(String namespace, String key) {
        return doNamespaceExists(namespace) ? notFound(namespace, key) : notFound(namespace, null);
    }

    private BackendException unexpected(String what, HttpResponse<?> r, byte[] body) {
        int status = r.statusCode();
        String message = name + ": " + what + " at " + r.uri() + " answered HTTP " + status
                + (body == null || body.length == 0 ? "" : ": " + SwiftHttp.excerpt(body));
        if (status >= 500) {
            return new BackendUnavailableException(message);
        }
        if (status == 403) {
            return new BackendUnavailableException(message + " (access denied: the user lacks rights on this account)");
        }
        return new BackendException(message);
    }

    private static String etag(HttpHeaders headers) {
        return headers.firstValue("ETag").map(v -> v.replace("\"", "").toLowerCase(Locale.ROOT)).orElse(null);
    }

    private static String containerUrl(SwiftSession s, String namespace) {
        return s.storageUrl() + "/" + namespace;
    }

    private static String objectUrl(SwiftSession s, String namespace, String key) {
        return s.storageUrl() + "/" + namespace + "/" + SwiftNames.encode(key);
    }

    private HttpRequest.Builder request(SwiftSession session, String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(http.requestTimeout())
                .header("X-Auth-Token", session.token());
    }

    private static HttpRequest.BodyPublisher noBody() {
        return HttpRequest.BodyPublishers.noBody();
    }

    @Override
    protected void doClose() {
        http.close();
    }

    /** A response body: either the data written into a buffer, or the bytes of an error reply. */
    private record Body(ByteBuffer data, byte[] error) {
        static HttpResponse.BodySubscriber<Body> into(ByteBuffer target) {
            return HttpResponse.BodySubscribers.mapping(new BufferBodySubscriber(target), n -> new Body(target, null));
        }

        static HttpResponse.BodySubscriber<Body> errorReply() {
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(),
                    bytes -> new Body(null, bytes));
        }
    }
}
