package io.scoria.backend.metering;

import java.util.Locale;

/**
 * The kinds of backend request that object stores bill differently: public S3 prices PUT,
 * COPY, POST and LIST alike, and GET, HEAD and the rest at a tenth of that; DELETE is free.
 */
public enum RequestKind {
    /** A whole-object write (also put-if-absent and namespace creation). */
    PUT,
    /** A whole-object read. */
    GET,
    /** A read of a byte range of an object. */
    RANGED_GET,
    /** A metadata read: stat of an object, existence of a namespace. */
    HEAD,
    /** A listing of objects or namespaces. */
    LIST,
    /** A delete of an object or a namespace. */
    DELETE;

    /** The lower-case name used in metrics, JSON and price files: {@code put}, {@code ranged_get}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
