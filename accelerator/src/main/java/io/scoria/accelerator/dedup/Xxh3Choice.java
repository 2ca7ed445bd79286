package io.scoria.accelerator.dedup;

import net.openhft.hashing.LongTupleHashFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Picks the XXH3-128 implementation once per JVM: {@link VectorXxh3} for long inputs when it can
 * run, else zero-allocation-hashing alone. The system property {@value #PROPERTY} ({@code auto},
 * the default, {@code vector} or {@code scalar}) forces the choice; {@code vector} where it cannot
 * run fails at start-up.
 */
final class Xxh3Choice {
    static final String PROPERTY = "scoria.fingerprint.impl";
    private static final Logger LOG = LoggerFactory.getLogger(Xxh3Choice.class);

    private Xxh3Choice() {
    }

    static Fingerprinter scalar() {
        LongTupleHashFunction xx = LongTupleHashFunction.xx128();
        return (cluster, out) -> xx.hashBytes(cluster, cluster.position(), cluster.remaining(), out);
    }

    static Fingerprinter vector() {
        LongTupleHashFunction xx = LongTupleHashFunction.xx128();
        return (ByteBuffer cluster, long[] out) -> {
            int n = cluster.remaining();
            if (n >= VectorXxh3.MIN_LENGTH) {
                VectorXxh3.hash(cluster, cluster.position(), n, out);
            } else {
                xx.hashBytes(cluster, cluster.position(), n, out);
            }
        };
    }

    /** Null if {@link VectorXxh3} can run in this JVM, else why not (checked without loading it). */
    static String vectorProblem() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "module jdk.incubator.vector is not loaded (start the JVM with --add-modules=jdk.incubator.vector)";
        }
        try {
            int bits = jdk.incubator.vector.LongVector.SPECIES_PREFERRED.vectorBitSize();
            return bits >= 512 ? null : "the CPU's widest vectors have " + bits + " bits, not 512";
        } catch (LinkageError | RuntimeException e) {
            return "jdk.incubator.vector unusable: " + e;
        }
    }

    static Fingerprinter choose() {
        String forced = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        String problem = "scalar".equals(forced) ? null : vectorProblem();
        switch (forced) {
            case "scalar" -> {
                LOG.info("fingerprints: XXH3-128 scalar (forced by -D{}=scalar)", PROPERTY);
                return scalar();
            }
            case "vector" -> {
                if (problem != null) {
                    throw new IllegalStateException("-D" + PROPERTY + "=vector but the vector XXH3 cannot run: " + problem);
                }
                LOG.info("fingerprints: XXH3-128 with 512-bit vectors (forced by -D{}=vector)", PROPERTY);
                return vector();
            }
            case "auto" -> {
                if (problem == null) {
                    LOG.info("fingerprints: XXH3-128 with 512-bit vectors");
                    return vector();
                }
                LOG.info("fingerprints: XXH3-128 scalar ({})", problem);
                return scalar();
            }
            default -> throw new IllegalArgumentException("system property " + PROPERTY
                    + " must be auto, vector or scalar: '" + forced + "'");
        }
    }
}
