package io.scoria.accelerator.volume;

import io.scoria.accelerator.metadata.LbaMap;

import java.util.List;

/**
 * What the read path needs of a volume's metadata: its LBA map and the namespaces of its clone
 * chain ([own, parent, grandparent, ...]) that locations' depths index. Both may be read from any
 * thread.
 */
interface MapView {
    LbaMap map();

    List<String> chain();
}
