package io.scoria.accelerator.cli;

import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.config.ScrubAutoSection;
import io.scoria.accelerator.control.AutoScrub;
import io.scoria.accelerator.control.JobService;
import io.scoria.accelerator.control.ScrubDispatch;
import io.scoria.accelerator.control.ScrubJobs;
import io.scoria.accelerator.control.ScrubProgram;
import io.scoria.accelerator.control.SnapshotScheduler;
import io.scoria.accelerator.control.WorkQueueScrubDispatch;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.scoria.sco.Durable;
import io.scoria.sco.scrub.ScrubWorkQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Wires "space that comes back by itself" into a router ({@code scrub.auto}, {@link ScrubAutoSection}):
 * the {@code scrub} job kind (if the router applies scrub results, {@code scoria-scrub.jar} is found
 * and a file with the backend section is known) and the {@link SnapshotScheduler}, fed to an
 * {@link AutoScrub} that sends its decisions to scrub jobs ({@code runOn: router}) or, with
 * {@code runOn: workers}, to the scrub work queue on the backend ({@link WorkQueueScrubDispatch}; no
 * jar needed). What is missing is logged once at start, naming the key to set.
 */
final class AutoSpace {
    private static final Logger LOG = LoggerFactory.getLogger(AutoSpace.class);

    private AutoSpace() {
    }

    /** The {@code scrub} job kind of this router, or empty (logged why) if it cannot run scrubs itself. */
    static Optional<ScrubJobs> scrubJobs(ScoriaConfig config, VolumeService volumes, ScrubApplier scrub) {
        ScrubAutoSection auto = config.scrub().auto();
        if (!auto.enabled() || scrub == null) {
            return Optional.empty();
        }
        Optional<Path> jar = auto.jar() != null ? Optional.of(auto.jar()) : ScrubProgram.locateJar(AutoSpace.class);
        if (jar.isEmpty() || !Files.isRegularFile(jar.get())) {
            if (auto.scrubsOnWorkers()) {
                LOG.debug("no scrub job kind: scoria-scrub.jar not found (scrub.auto.runOn: workers does not need it)");
                return Optional.empty();
            }
            LOG.warn("no automatic scrubs: {} not found (set scrub.auto.jar, or scrub.auto.enabled: false)",
                    jar.map(Path::toString).orElse(ScrubProgram.JAR_NAME + " beside scoria.jar"));
            return Optional.empty();
        }
        Path backendFile = fsBackendFile(config);
        if (backendFile == null) {
            backendFile = auto.config();
        }
        if (backendFile == null) {
            if (auto.scrubsOnWorkers()) {
                return Optional.empty();
            }
            LOG.warn("no automatic scrubs: the router runs without a config file and its backend is not a plain fs one;"
                    + " set scrub.auto.config to a file with the backend: section");
            return Optional.empty();
        }
        Path scratch = auto.scratch() != null ? auto.scratch() : config.dataDir().resolve("scrub-scratch");
        ScrubProgram program = new ScrubProgram(ScrubProgram.currentJava(), jar.get(), backendFile, auto.liveThreshold(),
                scratch);
        return Optional.of(new ScrubJobs(volumes, program, scrub::applyPending));
    }

    /**
     * For a plain fs backend (the default one, {@code <dataDir>/backend}, is not written in any file): a file
     * naming it, written under the data dir; null for other backends (their section is in the config file).
     */
    private static Path fsBackendFile(ScoriaConfig config) {
        if (!"fs".equals(config.backend().type()) || config.backend().transform() != null) {
            return null;
        }
        Path file = config.dataDir().resolve("scrub-backend.yaml").toAbsolutePath();
        String root = config.backend().fs().root().toAbsolutePath().toString().replace("'", "''");
        Durable.replace(file, ByteBuffer.wrap(("# written by scoria serve for its automatic scrubs\nbackend:\n"
                + "  type: fs\n  fs: {root: '" + root + "'}\n").getBytes(StandardCharsets.UTF_8)));
        return file;
    }

    /**
     * Starts the snapshot scheduler, deciding scrubs if the router applies scrub results and either
     * publishes them for workers ({@code runOn: workers}) or runs them as jobs ({@code scrubJobs}: the kind is
     * registered).
     */
    static SnapshotScheduler start(ScoriaConfig config, VolumeService volumes, ScrubApplier scrub, JobService jobs,
                                   boolean scrubJobs) {
        ScrubAutoSection auto = config.scrub().auto();
        ScrubDispatch dispatch = null;
        if (auto.enabled() && scrub != null && auto.scrubsOnWorkers()) {
            dispatch = new WorkQueueScrubDispatch(v -> volumes.info(v).map(VolumeInfo::namespace),
                    new ScrubWorkQueue(scrub.service().store()), auto.liveThreshold());
            LOG.info("automatic scrubs run on scoria-scrub workers: work items in the backend's namespace {}",
                    ScrubWorkQueue.NAMESPACE);
        } else if (scrubJobs) {
            dispatch = ScrubDispatch.jobs(jobs);
        }
        AutoScrub decide = dispatch == null ? null
                : new AutoScrub(dispatch, new EngineGarbageGauge(scrub.service(), scrub.use()), auto.autoScrub());
        return SnapshotScheduler.start(volumes, config.dataDir(), auto.scheduler(), decide);
    }
}
