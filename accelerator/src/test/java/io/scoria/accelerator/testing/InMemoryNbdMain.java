package io.scoria.accelerator.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.nbd.NbdServer;
import io.scoria.accelerator.nbd.NbdServerConfig;

import java.util.List;
import java.util.Optional;

/**
 * Benchmark peer (benchmarks/fio/run.sh): the real {@link NbdServer} exporting one
 * {@link RamVolume} named {@code bench}, so fio measures Scoria's NBD frontend without the
 * volume engine (the analogue of {@code nbdkit memory}). Usage:
 * {@code InMemoryNbdMain PORT SIZE_BYTES}; runs until killed.
 */
public final class InMemoryNbdMain {
    private InMemoryNbdMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: InMemoryNbdMain PORT SIZE_BYTES");
            System.exit(2);
        }
        long size = Long.parseLong(args[1]);
        RamVolume volume = new RamVolume("bench", size);
        VolumeInfo info = new VolumeInfo("bench", "bench", VolumeSpec.ofSize(size), false, null, null, "OK");
        VolumeService one = new VolumeService() {
            @Override
            public VolumeInfo create(String name, VolumeSpec spec, String project) {
                throw new UnsupportedOperationException("benchmark peer serves one fixed volume");
            }

            @Override
            public List<VolumeInfo> list() {
                return List.of(info);
            }

            @Override
            public Optional<VolumeInfo> info(String name) {
                return name.equals("bench") ? Optional.of(info) : Optional.empty();
            }

            @Override
            public Volume open(String name) {
                if (!name.equals("bench")) {
                    throw new VolumeNotFoundException("no volume " + name);
                }
                return volume;
            }

            @Override
            public void delete(String name) {
                throw new UnsupportedOperationException("benchmark peer serves one fixed volume");
            }

            @Override
            public VolumeInfo makeTemplate(String name) {
                throw new UnsupportedOperationException("benchmark peer serves one fixed volume");
            }

            @Override
            public VolumeInfo clone(String parent, String snapshot, String cloneName, String project) {
                throw new UnsupportedOperationException("benchmark peer serves one fixed volume");
            }

            @Override
            public VolumeInfo resetToParent(String clone) {
                throw new UnsupportedOperationException("benchmark peer serves one fixed volume");
            }

            @Override
            public Volume openSnapshot(String volumeName, String snapshot) {
                throw new VolumeNotFoundException("benchmark peer has no snapshots");
            }

            @Override
            public VolumeInfo resize(String name, long sizeBytes, boolean force) {
                throw new UnsupportedOperationException("benchmark peer serves one fixed volume");
            }

            @Override
            public io.scoria.accelerator.ChangedRanges changes(String volume, String from, String to, long start,
                                                               long length, int limit) {
                throw new UnsupportedOperationException("benchmark peer keeps no snapshots");
            }

            @Override
            public void close() {
            }
        };
        NbdServer server = new NbdServer(NbdServerConfig.loopback(Integer.parseInt(args[0])), one,
                new SimpleMeterRegistry());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        Thread.currentThread().join();
    }
}
