package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeConflictException;

/**
 * A refused change of a volume's lifecycle state ({@link VolumeState#allows}): names the volume, the
 * state it is in and the one asked for. The REST API answers it 409.
 */
public final class LifecycleTransitionException extends VolumeConflictException {
    private static final long serialVersionUID = 1L;

    private final String volume;
    private final VolumeState from;
    private final VolumeState to;

    public LifecycleTransitionException(String volume, VolumeState from, VolumeState to) {
        super("volume " + volume + " is " + from.wireName() + "; it cannot become " + to.wireName());
        this.volume = volume;
        this.from = from;
        this.to = to;
    }

    public String volume() {
        return volume;
    }

    public VolumeState from() {
        return from;
    }

    public VolumeState to() {
        return to;
    }
}
