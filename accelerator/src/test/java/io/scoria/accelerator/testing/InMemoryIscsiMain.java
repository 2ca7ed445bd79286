package io.scoria.accelerator.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.iscsi.IscsiServer;
import io.scoria.accelerator.iscsi.IscsiServerConfig;

/**
 * The real {@link IscsiServer} over an {@link InMemoryVolumeService} with one volume named
 * {@code vm1}, for trying initiators by hand and as a benchmark peer. Usage:
 * {@code InMemoryIscsiMain PORT SIZE_BYTES}; runs until killed.
 */
public final class InMemoryIscsiMain {
    private InMemoryIscsiMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: InMemoryIscsiMain PORT SIZE_BYTES");
            System.exit(2);
        }
        InMemoryVolumeService service = new InMemoryVolumeService();
        service.create("vm1", VolumeSpec.ofSize(Long.parseLong(args[1])));
        try (IscsiServer server = new IscsiServer(IscsiServerConfig.loopback(Integer.parseInt(args[0])), service,
                new SimpleMeterRegistry())) {
            System.out.println("iSCSI on port " + server.port());
            Thread.currentThread().join();
        }
    }
}
