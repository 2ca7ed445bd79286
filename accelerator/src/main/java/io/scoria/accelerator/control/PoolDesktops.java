package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeService;

import java.util.List;
import java.util.Objects;

/**
 * The lifecycle steps of pool desktops, for {@link Pools}: the journal records of a pool operation, and each
 * desktop made through the same {@code creating} → {@code available} path as a volume create (so the frontends
 * serve and list it only once it is whole, {@link ServingGate}) and deleted through {@code deleting}. Unlike a
 * clone set, each desktop commits on its own: one that is {@code available} stays, whatever happens to the rest
 * of its operation. Runs on the caller's thread; {@link Pools} serialises the operations.
 */
final class PoolDesktops {
    private final VolumeLifecycle lifecycle;
    private final VolumeService volumes;
    private final VolumeStates states;

    PoolDesktops(VolumeLifecycle lifecycle) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.volumes = lifecycle.volumes();
        this.states = lifecycle.states();
    }

    /** Journals pool operation {@code kind} bringing {@code def} about on {@code desktops}, before its first step. */
    Intent begin(Intent.Kind kind, PoolDefinition def, List<String> desktops) {
        return lifecycle.journal().begin(id -> Intent.pool(id, kind, def, desktops));
    }

    void end(Intent intent, IntentJournal.Outcome outcome) {
        lifecycle.journal().end(intent, outcome);
    }

    /** The pool operations a crash interrupted, oldest first. */
    List<Intent> unfinished() {
        return lifecycle.journal().unfinished().stream().filter(i -> i.kind().pool()).toList();
    }

    /** Whether {@code desktop} is half made or half deleted by an operation a crash or a failure cut short. */
    boolean halfMade(String desktop) {
        VolumeState s = states.recorded(desktop).orElse(null);
        return s == VolumeState.CREATING || s == VolumeState.DELETING;
    }

    /**
     * Makes desktop {@code k} (from 1) of its operation, {@code name}, as a clone of the pool's template snapshot in the
     * pool's project: {@code creating} (durable) before the clone, {@code available} after it; the lifecycle's
     * {@link CloneStep} runs between the two (the desktop exists and is still {@code creating}). A failure deletes
     * what was made and is rethrown; a desktop that cannot be deleted is left in {@code error}.
     */
    void make(PoolDefinition def, String name, int k) {
        lifecycle.lookups().refuseUnless(name, VolumeState.CREATING);
        states.change(List.of(name), VolumeState.CREATING, lifecycle.lookups()::state);
        try {
            lifecycle.projects().assign(List.of(name), def.project());
            volumes.clone(def.template(), def.snapshot(), name, def.project());
            lifecycle.step().before(k, name);
        } catch (RuntimeException e) {
            lifecycle.removeMade(List.of(name));
            throw e;
        }
        states.set(List.of(name), VolumeState.AVAILABLE);
    }

    /** Deletes an idle desktop that is to be made again: {@code deleting}, then deleted. */
    void remove(String name) {
        VolumeState from = lifecycle.state(name);
        lifecycle.lookups().refuseUnless(name, VolumeState.DELETING);
        states.change(List.of(name), VolumeState.DELETING, lifecycle.lookups()::state);
        lifecycle.finishDelete(name, from);
    }

    /** Deletes what a cut-short step left of {@code name} (it is {@code creating} or {@code deleting}). */
    void clearHalfMade(String name) {
        if (!lifecycle.removeMade(List.of(name))) {
            throw new IllegalStateException("desktop " + name + " is left half made and cannot be deleted; it is in"
                    + " state error");
        }
    }
}
