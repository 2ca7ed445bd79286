package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static io.scoria.accelerator.nbd.NbdProtocol.CONTEXT_BASE_ALLOCATION;

/**
 * The payload of {@code NBD_OPT_LIST_META_CONTEXT} and {@code NBD_OPT_SET_META_CONTEXT}: an export
 * name and queries ({@code namespace:leaf}), and which of this server's metadata contexts they
 * match. The server knows {@code base:allocation} and, on snapshot exports, QEMU's
 * {@code qemu:dirty-bitmap:SNAP} contexts ({@link MetaContexts}). Immutable.
 *
 * @param export  the export the client asks about
 * @param queries the queries, in the client's order
 */
record MetaContextQuery(String export, List<String> queries) {
    /** Most queries one option may carry (the spec allows refusing more with {@code NBD_REP_ERR_TOO_BIG}). */
    static final int MAX_QUERIES = 128;

    MetaContextQuery {
        queries = List.copyOf(queries);
    }

    /** A payload that is malformed ({@code NBD_REP_ERR_INVALID}) or has too many queries ({@code TOO_BIG}). */
    static final class BadQueryException extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean tooBig;

        BadQueryException(String message, boolean tooBig) {
            super(message);
            this.tooBig = tooBig;
        }
    }

    /** Parses {@code data} (consumed); names what is wrong with it otherwise. */
    static MetaContextQuery parse(ByteBuf data) throws BadQueryException {
        String export = string(data, "export name");
        if (data.readableBytes() < 4) {
            throw new BadQueryException("meta context payload ends before its number of queries", false);
        }
        long count = data.readUnsignedInt();
        if (count > MAX_QUERIES) {
            throw new BadQueryException(count + " meta context queries; at most " + MAX_QUERIES, true);
        }
        List<String> queries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String q = string(data, "query " + i);
            if (q.indexOf(':') <= 0) {
                throw new BadQueryException("meta context query '" + q + "' has no namespace and colon", false);
            }
            queries.add(q);
        }
        if (data.isReadable()) {
            throw new BadQueryException(data.readableBytes() + " bytes follow the last meta context query", false);
        }
        return new MetaContextQuery(export, queries);
    }

    private static String string(ByteBuf data, String what) throws BadQueryException {
        if (data.readableBytes() < 4) {
            throw new BadQueryException("meta context payload ends before the length of its " + what, false);
        }
        long n = data.readUnsignedInt();
        if (n > data.readableBytes()) {
            throw new BadQueryException("length " + n + " of the " + what + " exceeds the option", false);
        }
        String s = utf8(data.readSlice((int) n));
        if (s == null) {
            throw new BadQueryException("the " + what + " is not UTF-8", false);
        }
        return s;
    }

    /** The readable bytes of {@code b} as strict UTF-8, or null if they are not. */
    static String utf8(ByteBuf b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b.nioBuffer()).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * The contexts {@code NBD_OPT_LIST_META_CONTEXT} answers: all with no query; for {@code base:}
     * (the namespace's wildcard) or {@code base:allocation}, that context; for {@code qemu:} or
     * {@code qemu:dirty-bitmap:} every dirty bitmap the export has, for {@code qemu:dirty-bitmap:NAME}
     * that one if it has it; unknown namespaces and leaves match nothing. {@code bitmaps} are the names
     * of the export's dirty bitmaps (the snapshots older than a snapshot export; none otherwise).
     */
    Set<String> listed(List<String> bitmaps) {
        Set<String> out = new LinkedHashSet<>();
        if (queries.isEmpty()) {
            out.add(CONTEXT_BASE_ALLOCATION);
            bitmaps.forEach(b -> out.add(MetaContexts.DIRTY_PREFIX + b));
        }
        for (String q : queries) {
            if (q.equals("base:") || q.equals(CONTEXT_BASE_ALLOCATION)) {
                out.add(CONTEXT_BASE_ALLOCATION);
            } else if (q.equals("qemu:") || q.equals(MetaContexts.DIRTY_PREFIX)) {
                bitmaps.forEach(b -> out.add(MetaContexts.DIRTY_PREFIX + b));
            } else if (q.startsWith(MetaContexts.DIRTY_PREFIX)
                    && bitmaps.contains(q.substring(MetaContexts.DIRTY_PREFIX.length()))) {
                out.add(q);
            }
        }
        return out;
    }

    /**
     * What {@code NBD_OPT_SET_META_CONTEXT} selects: only exact names ({@code base:} selects nothing),
     * and of the dirty bitmaps in {@code bitmaps} only the first one asked for.
     */
    MetaContexts selected(List<String> bitmaps) {
        boolean allocation = false;
        String dirty = null;
        for (String q : queries) {
            if (q.equals(CONTEXT_BASE_ALLOCATION)) {
                allocation = true;
            } else if (dirty == null && q.startsWith(MetaContexts.DIRTY_PREFIX)
                    && bitmaps.contains(q.substring(MetaContexts.DIRTY_PREFIX.length()))) {
                dirty = q.substring(MetaContexts.DIRTY_PREFIX.length());
            }
        }
        return new MetaContexts(allocation, dirty);
    }

    /** {@link #listed} with id 0 for each, as LIST_META_CONTEXT replies carry them. */
    java.util.Map<String, Integer> listedWithoutIds(List<String> bitmaps) {
        java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
        listed(bitmaps).forEach(c -> out.put(c, 0));
        return out;
    }
}
