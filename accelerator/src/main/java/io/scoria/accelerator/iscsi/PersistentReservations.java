package io.scoria.accelerator.iscsi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SCSI-3 persistent reservation of one LUN (SPC-4 section 5.13): registered I_T nexuses with
 * their keys, the reservation (holder and type) and the generation counter; the rules of PERSISTENT
 * RESERVE OUT (register, register and ignore existing key, reserve, release, clear, preempt,
 * preempt and abort) and the access check every other command passes. A nexus is the initiator's
 * name and session ISID. With a file, the state is written (to a temporary file, forced, then moved
 * over the old one) before a command that changed it completes, and read back when the LUN is
 * created, so reservations survive a restart of {@code scoria serve}. File format, one item a line:
 * {@code generation N}, {@code key NEXUS HEX}, {@code reservation NEXUS TYPE}.
 *
 * <p>Thread-safe: every method is synchronized (commands of all sessions of the LUN).
 */
final class PersistentReservations {
    static final int WRITE_EXCLUSIVE = 1;
    static final int EXCLUSIVE_ACCESS = 3;
    static final int WRITE_EXCLUSIVE_REGISTRANTS = 5;
    static final int EXCLUSIVE_ACCESS_REGISTRANTS = 6;
    static final int WRITE_EXCLUSIVE_ALL = 7;
    static final int EXCLUSIVE_ACCESS_ALL = 8;

    /** A PERSISTENT RESERVE OUT the rules refuse: RESERVATION CONFLICT status. */
    static final class Conflict extends RuntimeException {
        Conflict(String message) {
            super(message, null, false, false);
        }
    }

    private final Path file;
    private final Spc2Reservation legacy = new Spc2Reservation();
    private final Map<String, Long> keys = new LinkedHashMap<>();
    private int generation;
    private String holder;
    private int type;

    /** @param file where the state lives, or null: in memory only */
    PersistentReservations(Path file) {
        this.file = file;
        if (file != null && Files.exists(file)) {
            load();
        }
    }

    /** The LUN's SPC-2 (RESERVE/RELEASE) reservation, which lives beside the persistent one. */
    Spc2Reservation legacy() {
        return legacy;
    }

    /** True while any I_T nexus has a key registered. */
    synchronized boolean anyRegistered() {
        return !keys.isEmpty();
    }

    synchronized int generation() {
        return generation;
    }

    synchronized List<Long> registeredKeys() {
        return List.copyOf(keys.values());
    }

    /** The reservation as (key, type), or null. */
    synchronized long[] reservation() {
        if (holder == null) {
            return null;
        }
        Long k = allRegistrants() ? Long.valueOf(0) : keys.get(holder);
        return new long[]{k == null ? 0 : k, type};
    }

    synchronized Map<String, Long> registrations() {
        return Map.copyOf(keys);
    }

    synchronized boolean holds(String nexus) {
        return holder != null && (allRegistrants() ? keys.containsKey(nexus) : holder.equals(nexus));
    }

    private boolean allRegistrants() {
        return type == WRITE_EXCLUSIVE_ALL || type == EXCLUSIVE_ACCESS_ALL;
    }

    /** True if {@code nexus} may run a command that writes ({@code write}) or only reads. */
    synchronized boolean allows(String nexus, boolean write) {
        if (holder == null || holds(nexus)) {
            return true;
        }
        boolean registered = keys.containsKey(nexus);
        return switch (type) {
            case WRITE_EXCLUSIVE -> !write;
            case EXCLUSIVE_ACCESS -> false;
            case WRITE_EXCLUSIVE_REGISTRANTS, WRITE_EXCLUSIVE_ALL -> !write || registered;
            default -> registered;
        };
    }

    synchronized void register(String nexus, long key, long newKey, boolean ignoreExisting) {
        Long mine = keys.get(nexus);
        if (!ignoreExisting && (mine == null ? key != 0 : mine != key)) {
            throw new Conflict("reservation key does not match the registration");
        }
        if (newKey == 0) {
            if (mine != null) {
                unregister(nexus);
                generation++;
                save();
            }
            return;
        }
        keys.put(nexus, newKey);
        generation++;
        save();
    }

    private void unregister(String nexus) {
        keys.remove(nexus);
        if (holder != null && (allRegistrants() ? keys.isEmpty() : holder.equals(nexus))) {
            holder = null;
            type = 0;
        } else if (holder != null && allRegistrants() && holder.equals(nexus)) {
            holder = keys.keySet().iterator().next();
        }
    }

    synchronized void reserve(String nexus, long key, int newType) {
        checkKey(nexus, key);
        if (holder != null) {
            if (holds(nexus) && type == newType) {
                return;
            }
            throw new Conflict("the LUN is reserved");
        }
        holder = nexus;
        type = newType;
        save();
    }

    /** Releases the reservation; false if its type differs (INVALID RELEASE OF PERSISTENT RESERVATION). */
    synchronized boolean release(String nexus, long key, int releaseType) {
        checkKey(nexus, key);
        if (holder == null || !holds(nexus)) {
            return true;
        }
        if (type != releaseType) {
            return false;
        }
        holder = null;
        type = 0;
        save();
        return true;
    }

    synchronized void clear(String nexus, long key) {
        checkKey(nexus, key);
        keys.clear();
        holder = null;
        type = 0;
        generation++;
        save();
    }

    /** PREEMPT (and PREEMPT AND ABORT): removes the registrations of {@code victim}, taking the reservation if it was theirs. */
    synchronized void preempt(String nexus, long key, long victim, int newType) {
        checkKey(nexus, key);
        if (holder != null && allRegistrants() && victim == 0) {
            keys.keySet().removeIf(n -> !n.equals(nexus));
            holder = nexus;
            type = newType;
        } else {
            if (victim == 0) {
                throw new IllegalArgumentException("service action reservation key 0");
            }
            boolean holderPreempted = holder != null && !allRegistrants() && keys.get(holder) == victim;
            boolean removed = keys.values().removeIf(k -> k == victim);
            if (!removed) {
                throw new Conflict("no registration with the key to preempt");
            }
            if (holderPreempted) {
                holder = nexus;
                type = newType;
            } else if (holder != null && !keys.containsKey(holder) && !allRegistrants()) {
                holder = null;
                type = 0;
            }
        }
        generation++;
        save();
    }

    /**
     * REGISTER AND MOVE: {@code nexus}, holding the reservation (not of an all-registrants type) with
     * {@code key}, registers {@code destination} with {@code destinationKey} and moves the reservation
     * (same type) to it; with {@code unregister} its own registration goes.
     */
    synchronized void move(String nexus, long key, long destinationKey, String destination, boolean unregister) {
        checkKey(nexus, key);
        if (holder == null || allRegistrants() || !holder.equals(nexus)) {
            throw new Conflict("REGISTER AND MOVE from an I_T nexus that does not hold the reservation");
        }
        keys.put(destination, destinationKey);
        holder = destination;
        if (unregister) {
            keys.remove(nexus);
        }
        generation++;
        save();
    }

    private void checkKey(String nexus, long key) {
        Long mine = keys.get(nexus);
        if (mine == null || mine != key) {
            throw new Conflict("not registered with that reservation key");
        }
    }

    private void load() {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split(" ");
                switch (f[0]) {
                    case "generation" -> generation = Integer.parseInt(f[1]);
                    case "key" -> keys.put(f[1], Long.parseUnsignedLong(f[2], 16));
                    case "reservation" -> {
                        holder = f[1];
                        type = Integer.parseInt(f[2]);
                    }
                    default -> throw new IllegalStateException("unknown line in " + file + ": " + f[0]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the persistent reservations in " + file, e);
        }
    }

    private void save() {
        if (file == null) {
            return;
        }
        StringBuilder b = new StringBuilder("generation ").append(generation).append('\n');
        keys.forEach((n, k) -> b.append("key ").append(n).append(' ').append(Long.toHexString(k)).append('\n'));
        if (holder != null) {
            b.append("reservation ").append(holder).append(' ').append(type).append('\n');
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the persistent reservations to " + file, e);
        }
    }
}
