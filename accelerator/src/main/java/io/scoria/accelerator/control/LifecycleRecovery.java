package io.scoria.accelerator.control;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * At start, ends every operation the {@link IntentJournal} holds unfinished, by the commit points
 * {@link VolumeLifecycle} documents: what passed its commit point is completed, the rest rolled back.
 * <ul>
 *   <li>create: completed if the volume is {@code available}; else a volume in {@code creating} is
 *       deleted (it is empty: nothing of a user is lost, and the caller got no answer);</li>
 *   <li>clone set: completed if every clone is {@code available}; else each clone in {@code creating}
 *       (or {@code deleting}, an interrupted rollback) is deleted. Rolled back rather than finished
 *       because the request's checks (names free, the snapshot) held at its time, not now, and nobody
 *       used a clone in {@code creating}; only names this set moved to {@code creating} are touched;</li>
 *   <li>delete: completed if the volume is {@code deleting} (the user asked for it, and the engine may
 *       have removed part of it: it cannot be made whole again); else nothing was touched;</li>
 *   <li>attach: the state follows the host registry, whose one atomic write decided it;</li>
 *   <li>detach: completed if the volume is {@code detaching}; else nothing was touched;</li>
 *   <li>pool create, reset, recompose: left open here; {@link Pools} completes them when it is made (it needs
 *       the pool book and who uses a desktop).</li>
 * </ul>
 * A step that fails here leaves its volume in {@code error} with a logged reason; a rollback that
 * cannot delete a clone keeps its intent open, so the next start tries again. Runs once, on the
 * starting thread, before anything is served.
 */
final class LifecycleRecovery {
    private static final Logger log = LoggerFactory.getLogger(LifecycleRecovery.class);

    private final VolumeLifecycle lifecycle;
    private final VolumeStates states;
    private final IntentJournal journal;

    LifecycleRecovery(VolumeLifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.states = lifecycle.states();
        this.journal = lifecycle.journal();
    }

    void run() {
        for (Intent i : journal.unfinished()) {
            IntentJournal.Outcome outcome = switch (i.kind()) {
                case CREATE -> rollBackUnless(i, List.of(i.volume()));
                case CLONE_SET -> rollBackUnless(i, i.names());
                case DELETE -> delete(i);
                case ATTACH -> attach(i);
                case DETACH -> detach(i);
                case POOL_CREATE, POOL_RESET, POOL_RECOMPOSE -> null; // left open for Pools, which finishes them
            };
            if (outcome != null) {
                journal.end(i, outcome);
                log.warn("lifecycle: {} {} of {} (interrupted by a stop) {}", i.kind(), i.id(), i.volume(),
                        outcome.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
            }
        }
    }

    /** Completed if every volume is available, else rolled back; null if the rollback must be retried. */
    private IntentJournal.Outcome rollBackUnless(Intent i, List<String> made) {
        boolean committed = made.stream().allMatch(n -> states.recorded(n).orElse(null) == VolumeState.AVAILABLE);
        if (committed) {
            return IntentJournal.Outcome.COMPLETED;
        }
        return lifecycle.removeMade(made) ? IntentJournal.Outcome.ROLLED_BACK : null;
    }

    private IntentJournal.Outcome delete(Intent i) {
        if (states.recorded(i.volume()).orElse(null) != VolumeState.DELETING) {
            return IntentJournal.Outcome.ROLLED_BACK;
        }
        try {
            return lifecycle.finishDelete(i.volume(), null);
        } catch (RuntimeException e) {
            log.error("lifecycle: the interrupted delete of volume {} failed again ({}); it is in state error",
                    i.volume(), e.toString());
            return IntentJournal.Outcome.FAILED;
        }
    }

    private IntentJournal.Outcome attach(Intent i) {
        HostRegistry hosts = lifecycle.hosts();
        boolean held = hosts != null && hosts.attachments(i.volume()).contains(
                new Attachment(i.volume(), i.host(), i.readOnly(), i.shared()));
        follow(i.volume());
        return held ? IntentJournal.Outcome.COMPLETED : IntentJournal.Outcome.ROLLED_BACK;
    }

    private IntentJournal.Outcome detach(Intent i) {
        if (states.recorded(i.volume()).orElse(null) != VolumeState.DETACHING) {
            return IntentJournal.Outcome.ROLLED_BACK;
        }
        HostRegistry hosts = lifecycle.hosts();
        if (hosts != null && hosts.attachments(i.volume()).stream().anyMatch(a -> a.host().equals(i.host()))) {
            hosts.detach(i.volume(), i.host());
        }
        follow(i.volume());
        return IntentJournal.Outcome.COMPLETED;
    }

    /** Sets a volume's state from the host registry (attached or available), if the volume exists. */
    private void follow(String volume) {
        if (lifecycle.volumes().info(volume).isPresent()) {
            states.set(List.of(volume), lifecycle.derived(volume));
        }
    }
}
