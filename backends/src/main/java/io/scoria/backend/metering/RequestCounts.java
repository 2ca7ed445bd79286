package io.scoria.backend.metering;

import java.util.EnumMap;
import java.util.Map;

/**
 * Requests and bytes counted for one store (and one namespace, or all of them) at one moment.
 * {@code bytesIn} went to the store (PUT bodies), {@code bytesOut} came from it (GET bodies).
 * Immutable.
 */
public record RequestCounts(long puts, long gets, long rangedGets, long heads, long lists, long deletes, long bytesIn,
                            long bytesOut) {
    public static final RequestCounts ZERO = new RequestCounts(0, 0, 0, 0, 0, 0, 0, 0);

    public RequestCounts {
        if (puts < 0 || gets < 0 || rangedGets < 0 || heads < 0 || lists < 0 || deletes < 0 || bytesIn < 0 || bytesOut < 0) {
            throw new IllegalArgumentException("request counts must not be negative");
        }
    }

    /** The count of requests of {@code kind}. */
    public long count(RequestKind kind) {
        return switch (kind) {
            case PUT -> puts;
            case GET -> gets;
            case RANGED_GET -> rangedGets;
            case HEAD -> heads;
            case LIST -> lists;
            case DELETE -> deletes;
        };
    }

    /** Every request kind with its count, in declaration order. */
    public Map<RequestKind, Long> byKind() {
        Map<RequestKind, Long> m = new EnumMap<>(RequestKind.class);
        for (RequestKind k : RequestKind.values()) {
            m.put(k, count(k));
        }
        return m;
    }

    /** All requests of every kind. */
    public long requests() {
        return puts + gets + rangedGets + heads + lists + deletes;
    }

    public RequestCounts plus(RequestCounts o) {
        return new RequestCounts(puts + o.puts, gets + o.gets, rangedGets + o.rangedGets, heads + o.heads, lists + o.lists,
                deletes + o.deletes, bytesIn + o.bytesIn, bytesOut + o.bytesOut);
    }

    /** This minus an earlier reading {@code before} of the same counters. */
    public RequestCounts minus(RequestCounts before) {
        return new RequestCounts(puts - before.puts, gets - before.gets, rangedGets - before.rangedGets,
                heads - before.heads, lists - before.lists, deletes - before.deletes, bytesIn - before.bytesIn,
                bytesOut - before.bytesOut);
    }

    /** One line for a person: {@code PUT 12, GET 3, ranged GET 40, HEAD 0, LIST 2, DELETE 1; 48.0 MiB in, 1.5 MiB out}. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "PUT %d, GET %d, ranged GET %d, HEAD %d, LIST %d, DELETE %d;"
                        + " %.1f MiB in, %.1f MiB out", puts, gets, rangedGets, heads, lists, deletes,
                bytesIn / 1048576.0, bytesOut / 1048576.0);
    }
}
