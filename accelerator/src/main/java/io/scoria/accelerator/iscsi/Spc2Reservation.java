package io.scoria.accelerator.iscsi;

/**
 * The SPC-2 reservation of one LUN (RESERVE(6)/(10) and RELEASE(6)/(10), SPC-2 section 7.21-7.24;
 * still what older ESX and Windows cluster versions send): at most one I_T nexus holds the LUN, and
 * every other nexus gets RESERVATION CONFLICT for the commands a reservation may refuse. It is not
 * persistent: it ends with RELEASE by its holder, the loss of the holder's I_T nexus (logout or a
 * dropped connection), a LUN reset or a target reset. It cannot be taken while persistent
 * reservation keys are registered (SPC-4 section 5.13.1), and PERSISTENT RESERVE commands of other
 * nexuses conflict while it is held.
 *
 * <p>Thread-safe: every method is synchronized (commands of all sessions of the LUN).
 */
final class Spc2Reservation {
    private String holder;

    /** Takes the reservation for {@code nexus}; again by its holder is GOOD. */
    synchronized void reserve(String nexus, boolean persistentKeysRegistered) {
        if (persistentKeysRegistered) {
            throw new PersistentReservations.Conflict("persistent reservation keys are registered");
        }
        if (holder != null && !holder.equals(nexus)) {
            throw new PersistentReservations.Conflict("reserved by another I_T nexus");
        }
        holder = nexus;
    }

    /** Releases the reservation if {@code nexus} holds it; from any other nexus a no-op (GOOD). */
    synchronized void release(String nexus) {
        if (nexus.equals(holder)) {
            holder = null;
        }
    }

    /** True unless another nexus holds the reservation. */
    synchronized boolean allows(String nexus) {
        return holder == null || holder.equals(nexus);
    }

    /** The I_T nexus {@code nexus} is gone (logout, dropped connection): its reservation ends. */
    void nexusLost(String nexus) {
        release(nexus);
    }

    /** A LUN or target reset: the reservation ends, whoever held it. */
    synchronized void reset() {
        holder = null;
    }
}
