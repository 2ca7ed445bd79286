package io.scoria.accelerator;

/**
 * What one step of hydrating a clone did ({@link VolumeService#hydrate}): the clusters of
 * {@code [fromCluster, nextCluster)} were looked at; those the clone still read from its parent
 * chain were copied into the clone's own history, except the ones the clone wrote itself meanwhile.
 *
 * @param nextCluster where the next step starts; equal to {@code clusters} once the end is reached
 * @param clusters    the clone's size in clusters
 * @param copied      clusters copied by this step (each one {@code clusterSize} bytes)
 * @param skipped     inherited clusters not copied because the clone wrote them while the step ran
 */
public record HydrationStep(long nextCluster, long clusters, int copied, int skipped) {
    public HydrationStep {
        if (nextCluster < 0 || nextCluster > clusters || copied < 0 || skipped < 0) {
            throw new IllegalArgumentException("bad hydration step: next " + nextCluster + " of " + clusters + ", copied "
                    + copied + ", skipped " + skipped);
        }
    }

    /** True when the step reached the end of the clone. */
    public boolean atEnd() {
        return nextCluster == clusters;
    }
}
