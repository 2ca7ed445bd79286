package io.scoria.accelerator.iscsi;

/**
 * The sequence numbers of one session on its one connection (RFC 7143 sections 4.2.2 and 4.2.2.1):
 * StatSN of the next response, ExpCmdSN of the next command, and MaxCmdSN, which grants the
 * initiator {@code window} commands in flight (fewer while commands are in flight). Comparisons use
 * serial number arithmetic (RFC 1982).
 *
 * <p>Not thread-safe; used on the connection's event loop.
 */
final class Sequencer {
    enum Verdict { ACCEPT, IGNORE, VIOLATION }

    private final int window;
    private int statSn;
    private int expCmdSn;
    private int inFlight;

    Sequencer(int window, int firstStatSn, int firstCmdSn) {
        this.window = window;
        this.statSn = firstStatSn;
        this.expCmdSn = firstCmdSn;
    }

    /** Writes StatSN (taking a new one if {@code consume}), ExpCmdSN and MaxCmdSN into a target PDU header. */
    void stamp(byte[] bhs, boolean consume) {
        PduWriter.putInt(bhs, 24, consume ? statSn++ : statSn);
        PduWriter.putInt(bhs, 28, expCmdSn);
        PduWriter.putInt(bhs, 32, maxCmdSn());
    }

    int maxCmdSn() {
        return expCmdSn + Math.max(0, window - inFlight) - 1;
    }

    int expCmdSn() {
        return expCmdSn;
    }

    /**
     * Checks a request's CmdSN: an immediate one must lie in the window and does not advance it; a
     * non-immediate one must be the next expected (one connection: they arrive in order). A CmdSN
     * outside the window is ignored (RFC 7143 section 4.2.2.1); a gap inside it breaks the session.
     */
    Verdict accept(boolean immediate, int cmdSn) {
        if (!immediate && cmdSn == expCmdSn) {
            expCmdSn++;
            return Verdict.ACCEPT;
        }
        boolean inWindow = !less(cmdSn, expCmdSn) && !less(maxCmdSn(), cmdSn);
        if (immediate) {
            return inWindow || cmdSn == expCmdSn ? Verdict.ACCEPT : Verdict.IGNORE;
        }
        return inWindow ? Verdict.VIOLATION : Verdict.IGNORE;
    }

    /** A command entered (true) or left (false) the set of commands in flight. */
    void inFlight(boolean started) {
        inFlight += started ? 1 : -1;
    }

    int inFlight() {
        return inFlight;
    }

    /** Serial number arithmetic: a precedes b. */
    static boolean less(int a, int b) {
        return a != b && (a - b) < 0;
    }
}
