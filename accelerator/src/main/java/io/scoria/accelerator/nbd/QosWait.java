package io.scoria.accelerator.nbd;

import io.netty.channel.Channel;
import io.scoria.accelerator.frontend.QosGate;

import java.util.concurrent.TimeUnit;

import static io.scoria.accelerator.nbd.NbdProtocol.CMD_READ;
import static io.scoria.accelerator.nbd.NbdProtocol.CMD_TRIM;
import static io.scoria.accelerator.nbd.NbdProtocol.CMD_WRITE;
import static io.scoria.accelerator.nbd.NbdProtocol.CMD_WRITE_ZEROES;

/**
 * Holds one NBD connection to its volume's QoS caps: asks the {@link QosGate} before a data request
 * starts (FLUSH, DISC and queries always may); while the answer is "wait", the connection stops
 * reading and one timer resumes decoding when the caps let the request go.
 *
 * <p>Threads: the connection's event loop only.
 */
final class QosWait {
    private final QosGate gate;
    private final Channel channel;
    private final Runnable resume;
    private boolean timer;

    QosWait(QosGate gate, Channel channel, Runnable resume) {
        this.gate = gate;
        this.channel = channel;
        this.resume = resume;
    }

    /** True if a request of {@code type} and {@code length} may start now (it is then charged). */
    boolean admit(int type, long length) {
        long wait = switch (type) {
            case CMD_READ -> gate.admit(false, length);
            case CMD_WRITE -> gate.admit(true, length);
            case CMD_TRIM, CMD_WRITE_ZEROES -> gate.admit(true, 0);
            default -> 0;
        };
        if (wait == 0) {
            return true;
        }
        channel.config().setAutoRead(false);
        if (!timer) {
            timer = true;
            channel.eventLoop().schedule(() -> {
                timer = false;
                resume.run();
            }, wait, TimeUnit.NANOSECONDS);
        }
        return false;
    }
}
