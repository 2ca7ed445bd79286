package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;

import java.util.Objects;

/**
 * The look-ups of {@link VolumeLifecycle}: a volume's state (recorded in {@link VolumeStates}, else derived
 * from the volume and the host registry) and its project (its backend manifest's, else what this router
 * recorded in {@link VolumeProjects} for a name being created), and the transition check every operation
 * makes first. Reads only; thread-safe as its parts are.
 */
final class LifecycleLookups {
    private final VolumeService volumes;
    private final HostRegistry hosts;
    private final VolumeStates states;
    private final VolumeProjects projects;

    LifecycleLookups(VolumeService volumes, HostRegistry hosts, VolumeStates states, VolumeProjects projects) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.hosts = hosts;
        this.states = Objects.requireNonNull(states, "states");
        this.projects = Objects.requireNonNull(projects, "projects");
    }

    /** See {@link VolumeLifecycle#state(String)}. */
    VolumeState state(String volume) {
        VolumeState recorded = states.recorded(volume).orElse(null);
        boolean inFlight = recorded == VolumeState.CREATING || recorded == VolumeState.DELETING
                || recorded == VolumeState.ERROR;
        if (inFlight) {
            return recorded;
        }
        if (volumes.info(volume).isEmpty()) {
            return VolumeState.DELETED;
        }
        return recorded != null ? recorded : derived(volume);
    }

    /** The state of {@code volume}, which exists. */
    VolumeState state(VolumeInfo volume) {
        return states.recorded(volume.name()).orElseGet(() -> derived(volume.name()));
    }

    /** See {@link VolumeLifecycle#project(String)}. */
    String project(String volume) {
        return volumes.info(volume).map(VolumeInfo::project).orElseGet(() -> projects.of(volume));
    }

    /** The state of an existing volume without a record: attached if it has attachments, else available. */
    VolumeState derived(String volume) {
        return hosts != null && !hosts.attachments(volume).isEmpty() ? VolumeState.ATTACHED : VolumeState.AVAILABLE;
    }

    /** Refuses ({@link LifecycleTransitionException}) unless {@code volume} may go to {@code to} now. */
    void refuseUnless(String volume, VolumeState to) {
        VolumeState from = state(volume);
        if (!from.allows(to)) {
            throw new LifecycleTransitionException(volume, from, to);
        }
    }
}
