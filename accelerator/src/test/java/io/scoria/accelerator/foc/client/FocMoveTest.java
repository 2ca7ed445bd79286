package io.scoria.accelerator.foc.client;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Moving a volume's FOC client to another server ({@link FocClient#retarget}), and acknowledgements that
 * wait out DEGRADED ({@link HeldAcks}), against real FOC servers on loopback.
 */
class FocMoveTest {
    static final int CS = 4096;
    static final String VOL = "vol-move";
    private static final java.util.concurrent.Executor DIRECT = Runnable::run;

    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private FocServer server(String name) {
        FocServer s = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve(name));
        toClose.add(s);
        return s;
    }

    private static String address(FocServer s) {
        return "127.0.0.1:" + s.localAddress().getPort();
    }

    private FocClientConfig config(FocServer s, long epoch) {
        return FocClientConfig.of(address(s), VOL, CS, epoch)
                .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofMillis(20), Duration.ofMillis(100));
    }

    private FocClient client(FocServer s, long epoch) {
        FocClient c = new FocClient(config(s, epoch));
        toClose.add(c);
        return c;
    }

    private FailoverCache holdingCache(FocServer s, long epoch) {
        FailoverCache c = FailoverCaches.create(FocMode.SYNC, config(s, epoch), true, Duration.ofSeconds(5));
        toClose.add(c);
        return c;
    }

    static ByteBuffer data(long lba, int gen) {
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i += 8) {
            b.putLong(i, lba * 1_000_003L + gen * 7919L + i);
        }
        return b;
    }

    /** lba -> generation, read back through a new owner at {@code s}. */
    private Map<Long, Integer> replay(FocServer s, long epoch) {
        Map<Long, Integer> m = new TreeMap<>();
        try (FocClient c = new FocClient(config(s, epoch))) {
            c.replay((lba, sco, off, ver, cluster) -> {
                int gen = -1;
                for (int g = 0; g < 10; g++) {
                    if (cluster.getLong(cluster.position()) == data(lba, g).getLong(0)) {
                        gen = g;
                    }
                }
                m.put(lba, gen);
            });
        }
        return m;
    }

    private static void awaitState(FailoverCache c, FocState want) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (c.state() != want) {
            assertTrue(System.nanoTime() < deadline, "state " + c.state() + ", expected " + want);
            Thread.sleep(10);
        }
    }

    @Test
    void aMovedClientResendsEveryKeptEntryAndTheNewServerDropsWhatEarlierOwnersLeftThere() throws Exception {
        FocServer a = server("a");
        FocServer b = server("b");
        FocClient earlier = client(b, 1); // an earlier owner left an entry at b, with a lower tag
        earlier.ackedAsync(earlier.append(9, 100, 0, 0, data(9, 1)), DIRECT).get(5, TimeUnit.SECONDS);
        earlier.close();

        FocClient c = client(a, 2);
        for (long lba = 0; lba < 3; lba++) {
            c.ackedAsync(c.append(lba, 200 + lba, 0, 0, data(lba, 2)), DIRECT).get(5, TimeUnit.SECONDS);
        }
        c.retarget(address(b), 199);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!c.okAt(address(b))) {
            assertTrue(System.nanoTime() < deadline, "not OK at b: " + c.state() + " " + c.server());
            Thread.sleep(10);
        }
        c.ackedAsync(c.append(3, 203, 0, 0, data(3, 2)), DIRECT).get(5, TimeUnit.SECONDS);
        c.close();

        assertEquals(Map.of(0L, 2, 1L, 2, 2L, 2, 3L, 2), replay(b, 3),
                "b holds every entry of the moved owner, none of the earlier owner's");
        assertEquals(Map.of(0L, 2, 1L, 2, 2L, 2), replay(a, 4), "a keeps what it had (its owner may still replay it)");
    }

    @Test
    void heldAcknowledgementsWaitWhileDegradedAndCompleteOnceAnotherServerTookTheEntries() throws Exception {
        FocServer a = server("a");
        FocServer b = server("b");
        FailoverCache held = holdingCache(a, 5);
        held.awaitAsync(held.add(0, 300, 0, 0, data(0, 1)), DIRECT).get(5, TimeUnit.SECONDS);

        a.close(); // the FOC node dies
        awaitState(held, FocState.DEGRADED);
        CompletableFuture<Void> ack = held.awaitAsync(held.add(1, 300, 0, 0, data(1, 1)), DIRECT);
        Thread.sleep(500);
        assertFalse(ack.isDone(), "a write only this node holds must not be acknowledged");
        FailoverCache unreachable = FailoverCaches.create(FocMode.SYNC, config(a, 5), true, Duration.ofMillis(200));
        toClose.add(unreachable);
        assertThrows(io.scoria.accelerator.foc.FocUnavailableException.class, unreachable::flush,
                "a flush of a holding cache that cannot reach its server fails after its bound");

        held.gateAcknowledgements(true);
        held.retarget(address(b), 299);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!held.okAt(address(b))) {
            assertTrue(System.nanoTime() < deadline, "not OK at b: " + held.state());
            Thread.sleep(10);
        }
        held.flush(); // b has the entries now: the gate alone keeps the acknowledgement back
        Thread.sleep(200);
        assertFalse(ack.isDone(), "gated: the move is not recorded yet");
        held.gateAcknowledgements(false);
        ack.get(5, TimeUnit.SECONDS);
        assertEquals(Map.of(0L, 1, 1L, 1), replay(b, 6));
    }

    @Test
    void withoutHoldingADegradedCacheAcknowledgesAtOnce() throws Exception {
        FocServer a = server("a");
        FailoverCache plain = FailoverCaches.create(FocMode.SYNC, config(a, 7));
        toClose.add(plain);
        a.close();
        awaitState(plain, FocState.DEGRADED);
        plain.awaitAsync(plain.add(0, 400, 0, 0, data(0, 1)), DIRECT).get(2, TimeUnit.SECONDS);
        assertThrows(UnsupportedOperationException.class, () -> plain.retarget("127.0.0.1:1", 0),
                "only a holding cache may move: a plain one acknowledged writes that only the owner holds");
    }

    @Test
    void aHeldAcknowledgementFailsWhenTheNewServerKnowsANewerOwner() throws Exception {
        FocServer a = server("a");
        FocServer b = server("b");
        client(b, 9).close(); // a newer owner registered at b
        FailoverCache held = holdingCache(a, 8);
        a.close();
        awaitState(held, FocState.DEGRADED);
        CompletableFuture<Void> ack = held.awaitAsync(held.add(0, 500, 0, 0, data(0, 1)), DIRECT);
        held.retarget(address(b), 499);
        ExecutionException e = assertThrows(ExecutionException.class, () -> ack.get(15, TimeUnit.SECONDS));
        assertInstanceOf(FocFencedException.class, e.getCause());
        assertEquals(FocState.FENCED, held.state());
    }
}
