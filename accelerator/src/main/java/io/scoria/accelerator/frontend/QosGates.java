package io.scoria.accelerator.frontend;

/**
 * Where a frontend finds a volume's {@link QosGate} when a client attaches (by volume name). The
 * control plane implements it; {@link #NONE} caps nothing.
 */
@FunctionalInterface
public interface QosGates {
    QosGates NONE = volume -> new QosGate();

    /** The gate of {@code volume}, the same object for every connection to it while limits change. */
    QosGate gate(String volume);
}
