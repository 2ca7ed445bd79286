package io.scoria.distributor.ec;

/** Fewer fragments than the data count survive, so the stripe cannot be rebuilt. */
public class TooManyErasuresException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final int present;
    private final int needed;

    public TooManyErasuresException(int present, int needed, int total) {
        super("only " + present + " of " + total + " fragments present, at least " + needed
                + " are needed to rebuild the stripe");
        this.present = present;
        this.needed = needed;
    }

    public int present() {
        return present;
    }

    public int needed() {
        return needed;
    }
}
