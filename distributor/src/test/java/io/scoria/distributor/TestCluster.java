package io.scoria.distributor;

import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** In-memory stores behind fault injectors, and helpers for distributor tests. */
final class TestCluster {
    final List<InMemoryObjectStore> memory = new ArrayList<>();
    final List<FaultInjectingStore> faults = new ArrayList<>();
    final List<FragmentStore> stores = new ArrayList<>();

    TestCluster(int count) {
        this(count, count);
    }

    /** {@code count} stores named s0.., in {@code domains} failure domains (round robin). */
    TestCluster(int count, int domains) {
        for (int i = 0; i < count; i++) {
            add("s" + i, "d" + (i % domains));
        }
    }

    FragmentStore add(String name, String domain) {
        InMemoryObjectStore mem = new InMemoryObjectStore("mem-" + name);
        FaultInjectingStore fault = new FaultInjectingStore(mem);
        memory.add(mem);
        faults.add(fault);
        FragmentStore s = new FragmentStore(name, domain, fault);
        stores.add(s);
        return s;
    }

    FaultInjectingStore fault(String name) {
        for (int i = 0; i < stores.size(); i++) {
            if (stores.get(i).name().equals(name)) {
                return faults.get(i);
            }
        }
        throw new IllegalArgumentException("no store " + name);
    }

    InMemoryObjectStore memory(String name) {
        return (InMemoryObjectStore) fault(name).delegate();
    }

    void healAll() {
        faults.forEach(FaultInjectingStore::heal);
    }

    long totalGets() {
        long n = 0;
        for (FaultInjectingStore f : faults) {
            n += f.metrics().gets();
        }
        return n;
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
