package io.scoria.backend;

/**
 * What a store can do.
 *
 * @param rangeReads     a ranged get transfers only the requested bytes
 * @param conditionalPut {@link ObjectStore#putIfAbsent} is atomic on this store
 * @param maxObjectSize  largest object a single put accepts, in bytes
 * @param maxKeyLength   longest object key accepted, in UTF-8 bytes
 */
public record Capabilities(boolean rangeReads, boolean conditionalPut, long maxObjectSize, int maxKeyLength) {
    public Capabilities {
        if (maxObjectSize <= 0) {
            throw new IllegalArgumentException("maxObjectSize must be positive: " + maxObjectSize);
        }
        if (maxKeyLength <= 0) {
            throw new IllegalArgumentException("maxKeyLength must be positive: " + maxKeyLength);
        }
    }
}
