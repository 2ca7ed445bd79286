package io.scoria.accelerator.metadata;

/** A caller-owned holder that {@link LbaMap#get} fills, so lookups allocate nothing. Not thread-safe. */
public final class LbaEntry {
    public long location;
    public long fpHi;
    public long fpLo;
    public int crc;
}
