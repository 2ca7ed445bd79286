package io.scoria.accelerator.iscsi;

import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.frontend.Attachments;
import io.scoria.accelerator.frontend.MemoryBudget;
import io.scoria.accelerator.frontend.QosGates;
import io.scoria.accelerator.metrics.VolumeMetrics;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every connection of one {@link IscsiServer} shares: settings, volumes, their LUNs, the I/O
 * workers, the node's command memory, the session handle (TSIH) counter, the volumes' QoS gates,
 * their attachments to hosts and the per-volume meters.
 */
record IscsiContext(IscsiServerConfig config, VolumeService volumes, Targets targets, Executor workers,
                    MemoryBudget memory, AtomicInteger tsih, QosGates qos, Attachments attachments,
                    VolumeMetrics volumeMetrics) {

    /** A new session handle, never 0. */
    int nextTsih() {
        int t;
        do {
            t = tsih.incrementAndGet() & 0xffff;
        } while (t == 0);
        return t;
    }
}
