package io.scoria.accelerator.api;

import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.control.QosRegistry;
import io.scoria.accelerator.frontend.QosLimits;

import java.util.Objects;

/**
 * The {@code /v1/volumes/{name}/qos} calls: read ({@code GET}), set ({@code PUT}, every cap the
 * body leaves out is 0 = uncapped) and clear ({@code DELETE}) a volume's QoS caps; they take effect
 * on attached clients from their next request. Thread-safe.
 */
final class QosRoutes {
    private final VolumeService volumes;
    private final QosRegistry qos;

    QosRoutes(VolumeService volumes, QosRegistry qos) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.qos = Objects.requireNonNull(qos, "qos");
    }

    /** Answers {@code call}, whose path is {@code v1/volumes/NAME/qos}. */
    Reply route(ApiCall call) {
        String name = call.at(2);
        if (volumes.info(name).isEmpty()) {
            throw new VolumeNotFoundException("no volume " + name);
        }
        return switch (call.method) {
            case "GET" -> Reply.json(200, qos.limits(name));
            case "PUT" -> {
                QosLimits limits = limits(call.body(ApiModel.SetQos.class));
                qos.set(name, limits);
                yield Reply.json(200, qos.limits(name));
            }
            case "DELETE" -> {
                qos.set(name, QosLimits.NONE);
                yield Reply.noContent();
            }
            default -> throw call.methodNotAllowed();
        };
    }

    /** Called after a volume was deleted: its caps go with it. */
    void deleted(String name) {
        qos.forget(name);
    }

    private static QosLimits limits(ApiModel.SetQos q) {
        return new QosLimits(orZero(q.iops()), orZero(q.readIops()), orZero(q.writeIops()), orZero(q.bandwidth()),
                orZero(q.readBandwidth()), orZero(q.writeBandwidth()),
                q.burstSeconds() == null ? QosLimits.DEFAULT_BURST_SECONDS : q.burstSeconds());
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }
}
