package io.scoria.backend;

import java.util.List;

/**
 * One page of a listing, keys in ascending (UTF-8 binary) order.
 *
 * @param objects   the objects on this page
 * @param nextAfter pass as {@code startAfter} to get the next page; {@code null} when this is
 *                  the last page
 */
public record ObjectPage(List<ObjectInfo> objects, String nextAfter) {
    public ObjectPage {
        objects = List.copyOf(objects);
    }

    public boolean isLast() {
        return nextAfter == null;
    }
}
