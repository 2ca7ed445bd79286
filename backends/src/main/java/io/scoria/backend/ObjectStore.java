package io.scoria.backend;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A flat object store divided into namespaces (a bucket, a Swift container, a directory).
 * This is the whole contract between Scoria and its backends.
 *
 * <p>Names: a namespace is 3–63 characters of {@code [a-z0-9.-]}, starting and ending with a
 * letter or digit (the S3 bucket rule, so a name valid on one store is valid on all). A key is
 * 1–{@link Capabilities#maxKeyLength()} bytes of UTF-8 without control characters, without a
 * leading {@code /}, and without empty, {@code .} or {@code ..} path segments. Invalid names,
 * negative ranges and objects over {@link Capabilities#maxObjectSize()} are refused with an
 * {@link IllegalArgumentException} naming the argument, before anything is changed.
 *
 * <p>Semantics: a put replaces the whole object atomically; readers see the old or the new
 * object, never a mix. Listing is in ascending binary key order. Deleting an absent object is
 * not an error. Every method is thread-safe. Errors are {@link BackendException}s.
 *
 * <p>Buffers: the caller keeps ownership of every buffer passed in; a store never keeps a
 * reference after the call (or the returned future) completes and never changes the
 * buffer's position or limit, except for {@code dst} in {@link #read}, whose position
 * advances by the number of bytes read.
 */
public interface ObjectStore extends AutoCloseable {

    /** A short name for messages and metrics, for example {@code s3(http://127.0.0.1:9000)}. */
    String name();

    Capabilities capabilities();

    /** Creates the namespace; returns false if it already existed. */
    boolean createNamespace(String namespace);

    /**
     * Deletes the namespace and every object in it. Returns false if it did not exist.
     */
    boolean deleteNamespace(String namespace);

    boolean namespaceExists(String namespace);

    /** All namespaces this store's credentials can see, sorted. */
    List<String> listNamespaces();

    /**
     * Stores {@code data} (from its position to its limit) as the whole object {@code key}.
     *
     * @throws NotFoundException if the namespace does not exist
     */
    void put(String namespace, String key, ByteBuffer data);

    /** Stores the whole content of {@code file} as object {@code key}. */
    void put(String namespace, String key, Path file);

    /**
     * Stores the object only if no object with that key exists. Only valid when
     * {@link Capabilities#conditionalPut()} holds.
     *
     * @throws PreconditionFailedException if the object already exists
     * @throws UnsupportedOperationException if the store cannot do this atomically
     */
    void putIfAbsent(String namespace, String key, ByteBuffer data);

    /** Reads the whole object into a new heap buffer (position 0, limit = size). */
    ByteBuffer get(String namespace, String key);

    /**
     * Reads exactly {@code dst.remaining()} bytes starting at {@code offset} of the object into
     * {@code dst}.
     *
     * @throws IllegalArgumentException if {@code offset} is negative or the range extends past
     *                                  the end of the object; nothing is read then
     * @throws NotFoundException        if the object or namespace does not exist
     */
    void read(String namespace, String key, long offset, ByteBuffer dst);

    /** Reads {@code length} bytes at {@code offset} into a new heap buffer. */
    default ByteBuffer get(String namespace, String key, long offset, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0: " + length);
        }
        ByteBuffer dst = ByteBuffer.allocate(length);
        read(namespace, key, offset, dst);
        return dst.flip();
    }

    /** @throws NotFoundException if the object or namespace does not exist */
    ObjectInfo stat(String namespace, String key);

    /** True when the object exists. */
    default boolean exists(String namespace, String key) {
        try {
            stat(namespace, key);
            return true;
        } catch (NotFoundException e) {
            if (!namespaceExists(namespace)) {
                throw e;
            }
            return false;
        }
    }

    /** Deletes the object; deleting an absent object succeeds. */
    void delete(String namespace, String key);

    /**
     * Lists at most {@code limit} objects whose key starts with {@code prefix} and sorts after
     * {@code startAfter} (null: from the start).
     */
    ObjectPage list(String namespace, String prefix, String startAfter, int limit);

    /** Lists every object with the prefix, following pages. Memory grows with the result. */
    default List<ObjectInfo> listAll(String namespace, String prefix) {
        List<ObjectInfo> all = new ArrayList<>();
        String after = null;
        do {
            ObjectPage page = list(namespace, prefix, after, 1000);
            all.addAll(page.objects());
            after = page.nextAfter();
        } while (after != null);
        return all;
    }

    /** Async {@link #put(String, String, ByteBuffer)}; do not touch {@code data} until done. */
    default CompletableFuture<Void> putAsync(String namespace, String key, ByteBuffer data, Executor executor) {
        return CompletableFuture.runAsync(() -> put(namespace, key, data), executor);
    }

    /** Async {@link #put(String, String, Path)}. */
    default CompletableFuture<Void> putAsync(String namespace, String key, Path file, Executor executor) {
        return CompletableFuture.runAsync(() -> put(namespace, key, file), executor);
    }

    /** Async {@link #get(String, String)}. */
    default CompletableFuture<ByteBuffer> getAsync(String namespace, String key, Executor executor) {
        return CompletableFuture.supplyAsync(() -> get(namespace, key), executor);
    }

    /** Async {@link #read}; do not touch {@code dst} until done. */
    default CompletableFuture<Void> readAsync(String namespace, String key, long offset, ByteBuffer dst,
                                              Executor executor) {
        return CompletableFuture.runAsync(() -> read(namespace, key, offset, dst), executor);
    }

    /** Async {@link #delete}. */
    default CompletableFuture<Void> deleteAsync(String namespace, String key, Executor executor) {
        return CompletableFuture.runAsync(() -> delete(namespace, key), executor);
    }

    /** Releases connections and threads; idempotent. */
    @Override
    void close();
}
