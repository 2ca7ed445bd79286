package io.scoria.accelerator.control;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The jobs on disk: one {@code <id>.json} per job ({@link JobRecord}, format 1) in one directory,
 * replaced atomically (written to {@code <id>.json.tmp}, forced, renamed), so a crash leaves the
 * old or the new version. A file that cannot be read is renamed {@code <id>.json.unreadable} and
 * logged, never silently dropped. Thread-safe (callers write one job from one thread at a time).
 */
final class JobStore {
    private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    JobStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the jobs directory " + dir + ": " + e.getMessage(), e);
        }
    }

    void save(JobRecord job) {
        Path file = dir.resolve(job.id() + SUFFIX);
        Path tmp = dir.resolve(job.id() + SUFFIX + ".tmp");
        try {
            byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(job);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save job " + job.id() + " to " + file + ": " + e.getMessage(), e);
        }
    }

    void delete(String id) {
        try {
            Files.deleteIfExists(dir.resolve(id + SUFFIX));
        } catch (IOException e) {
            LOG.warn("cannot delete the file of job {}: {}", id, e.getMessage());
        }
    }

    /** Every job kept in the directory, in no particular order. */
    List<JobRecord> loadAll() {
        List<JobRecord> jobs = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                try {
                    JobRecord r = json.readValue(f.toFile(), JobRecord.class);
                    if (!f.getFileName().toString().equals(r.id() + SUFFIX)) {
                        throw new IOException("it holds job " + r.id());
                    }
                    jobs.add(r);
                } catch (IOException | IllegalArgumentException e) {
                    Path aside = f.resolveSibling(f.getFileName() + ".unreadable");
                    LOG.error("job file {} is unreadable ({}); moved aside to {}", f, e.getMessage(), aside);
                    Files.move(f, aside, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the jobs directory " + dir + ": " + e.getMessage(), e);
        }
        return jobs;
    }
}
