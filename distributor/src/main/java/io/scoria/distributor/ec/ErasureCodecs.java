package io.scoria.distributor.ec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * Chooses the codec implementation once per JVM: the vector codec when
 * {@code jdk.incubator.vector} is available and the CPU offers vectors of at least 128 bits,
 * else the scalar one. The system property {@value #PROPERTY} ({@code vector}, {@code scalar}
 * or {@code auto}, the default) forces the choice; forcing {@code vector} where it cannot run
 * fails at start-up. The decision and its reason are logged at INFO.
 */
public final class ErasureCodecs {
    public static final String PROPERTY = "scoria.ec.codec";
    private static final Logger LOG = LoggerFactory.getLogger(ErasureCodecs.class);

    /** The implementations. */
    public enum Kind { SCALAR, VECTOR }

    private static final Kind CHOSEN = choose();

    private ErasureCodecs() {
    }

    /** The implementation {@link #create} uses in this JVM. */
    public static Kind chosen() {
        return CHOSEN;
    }

    /** A codec with {@code data} data and {@code total} total fragments, of the chosen kind. */
    public static ErasureCodec create(int data, int total) {
        return create(CHOSEN, data, total);
    }

    public static ErasureCodec create(Kind kind, int data, int total) {
        return switch (kind) {
            case SCALAR -> new ScalarReedSolomon(data, total);
            case VECTOR -> new VectorReedSolomon(data, total);
        };
    }

    private static Kind choose() {
        String forced = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (forced) {
            case "scalar" -> {
                LOG.info("erasure codec: scalar (forced by -D{}=scalar)", PROPERTY);
                return Kind.SCALAR;
            }
            case "vector" -> {
                String problem = vectorProblem();
                if (problem != null) {
                    throw new IllegalStateException("-D" + PROPERTY + "=vector but the vector codec cannot run: " + problem);
                }
                LOG.info("erasure codec: vector, {} bits (forced by -D{}=vector)", VectorReedSolomon.vectorBits(), PROPERTY);
                return Kind.VECTOR;
            }
            case "auto" -> {
                String problem = vectorProblem();
                if (problem == null) {
                    LOG.info("erasure codec: vector, {} bits (jdk.incubator.vector present, widest species {} bits)",
                            VectorReedSolomon.vectorBits(), VectorReedSolomon.vectorBits());
                    return Kind.VECTOR;
                }
                LOG.info("erasure codec: scalar ({})", problem);
                return Kind.SCALAR;
            }
            default -> throw new IllegalArgumentException("system property " + PROPERTY + " must be vector, scalar or auto: '"
                    + forced + "'");
        }
    }

    /** Null when the vector codec can run, else why not. */
    private static String vectorProblem() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "module jdk.incubator.vector is not loaded (start the JVM with --add-modules=jdk.incubator.vector)";
        }
        try {
            int bits = VectorReedSolomon.vectorBits();
            if (bits < 128) {
                return "the CPU's widest byte vector is only " + bits + " bits";
            }
            return null;
        } catch (LinkageError e) {
            return "jdk.incubator.vector cannot be loaded: " + e;
        }
    }
}
