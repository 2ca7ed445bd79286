package io.scoria.accelerator.foc.client;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.FocUnavailableException;
import io.scoria.accelerator.foc.server.FocServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * When an acknowledgement future of {@link FocClient} completes: on the server's reply, when
 * {@link FocClient#removeUpTo} drops the entry first (even while the server does not answer), and
 * that it never stays pending forever. Also the bookkeeping behind it ({@link KeptEntries#holds},
 * {@link AckWaiters}).
 */
class FocClientAckTest {
    static final int CS = 4096;
    static final Executor DIRECT = Runnable::run;

    @TempDir
    Path dir;
    FocServer server;
    Relay relay;
    final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("foc"));
        relay = new Relay(server.localAddress().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        relay.close();
        server.close();
    }

    FocClient client() {
        FocClient c = new FocClient(FocClientConfig.of("127.0.0.1:" + relay.port(), "vol-a", CS, 1)
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(20),
                        Duration.ofMillis(200)));
        toClose.add(c);
        return c;
    }

    static ByteBuffer cluster(int seed) {
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i += 8) {
            b.putLong(i, seed * 31L + i);
        }
        return b;
    }

    @Test
    void removalCompletesWaitersOfEntriesTheServerHasNotAcknowledged() throws Exception {
        FocClient c = client();
        assertEquals(FocState.OK, c.state());
        c.ackedAsync(c.append(0, 5, 0, 1, cluster(0)), DIRECT).get(10, TimeUnit.SECONDS);

        relay.holdReplies(true);
        List<CompletableFuture<Void>> sco5 = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            sco5.add(c.ackedAsync(c.append(i, 5, i, 1, cluster(i)), DIRECT));
        }
        CompletableFuture<Void> sco6 = c.ackedAsync(c.append(9, 6, 0, 1, cluster(9)), DIRECT);
        Thread.sleep(200);
        sco5.forEach(f -> assertFalse(f.isDone(), "no reply passes the relay"));

        // SCO 5 is on the backend: its entries' waiters complete at once, without the server's reply;
        // removeUpTo itself waits for its own reply meanwhile (and gives up after the request timeout)
        CompletableFuture<Void> removal = CompletableFuture.runAsync(() -> c.removeUpTo(5));
        CompletableFuture.allOf(sco5.toArray(CompletableFuture[]::new)).get(1, TimeUnit.SECONDS);
        assertFalse(removal.isDone(), "REMOVE_UP_TO is still unanswered");
        assertFalse(sco6.isDone(), "an entry of SCO 6 is still kept and unacknowledged");
        // and a waiter asked for after the removal is complete already
        assertTrue(c.ackedAsync(sco5.size(), DIRECT).isDone());

        relay.holdReplies(false);
        removal.get(10, TimeUnit.SECONDS);
        sco6.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aServerThatStopsAnsweringFailsTheWaitersWithinTheTimeouts() throws Exception {
        FocClient c = client();
        relay.holdReplies(true);
        long t0 = System.nanoTime();
        CompletableFuture<Void> f = c.ackedAsync(c.append(1, 1, 0, 1, cluster(1)), DIRECT);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        assertInstanceOf(FocUnavailableException.class, e.getCause());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), "bounded by the request timeout");
        assertEquals(FocState.DEGRADED, c.state());
    }

    @Test
    void keptEntriesKnowWhichSequenceNumbersAreStillHeld() {
        KeptEntries k = new KeptEntries(UnpooledByteBufAllocator.DEFAULT, "v", CS, CS + 24, 2, 1 << 20, b -> { });
        long a = k.append(0, 3, 0, 1, cluster(0));   // batch [1,2] of SCO 3
        long b = k.append(1, 3, 1, 1, cluster(1));
        long c = k.append(2, 1, 0, 1, cluster(2));   // batch [3] of SCO 1 (numbers need not grow)
        long d = k.append(3, 4, 0, 1, cluster(3));   // open batch [4] of SCO 4
        assertTrue(k.holds(a) && k.holds(b) && k.holds(c) && k.holds(d));
        assertFalse(k.holds(d + 1));
        k.removeUpTo(1, x -> { });
        assertTrue(k.holds(a) && k.holds(b) && k.holds(d));
        assertFalse(k.holds(c), "SCO 1 was removed");
        k.removeUpTo(3, x -> { });
        assertFalse(k.holds(a) || k.holds(b));
        assertTrue(k.holds(d));
        k.clear();
    }

    @Test
    void waitersCompleteInOrderOneHandOffPerExecutor() {
        AckWaiters w = new AckWaiters();
        List<Runnable> tasks = new ArrayList<>();
        Executor queued = tasks::add;
        List<CompletableFuture<Void>> f = new ArrayList<>();
        for (long s = 1; s <= 5; s++) {
            f.add(w.add(s, queued));
        }
        List<AckWaiters.Waiter> done = w.pollIf(s -> s % 2 == 0);
        assertEquals(List.of(2L, 4L), done.stream().map(AckWaiters.Waiter::seq).toList());
        AckWaiters.complete(done, null);
        assertEquals(1, tasks.size(), "one task for consecutive waiters of one executor");
        assertFalse(f.get(1).isDone());
        tasks.get(0).run();
        assertTrue(f.get(1).isDone() && f.get(3).isDone());
        assertFalse(f.get(0).isDone() || f.get(2).isDone() || f.get(4).isDone());
        AckWaiters.complete(w.pollUpTo(5), null);
        tasks.get(1).run();
        assertTrue(f.stream().allMatch(CompletableFuture::isDone));
    }

    /** A TCP relay to the server whose server-to-client direction can be held (replies stay unread). */
    static final class Relay implements AutoCloseable {
        private final ServerSocket listener;
        private final int target;
        private final List<Socket> sockets = new ArrayList<>();
        private volatile boolean hold;

        Relay(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "relay-accept");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        void holdReplies(boolean on) {
            hold = on;
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = listener.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    synchronized (sockets) {
                        sockets.add(client);
                        sockets.add(upstream);
                    }
                    pump(client.getInputStream(), upstream.getOutputStream(), false);
                    pump(upstream.getInputStream(), client.getOutputStream(), true);
                }
            } catch (IOException e) {
                // closed
            }
        }

        private void pump(InputStream in, OutputStream out, boolean holdable) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[1 << 16];
                try {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        while (holdable && hold) {
                            Thread.sleep(5);
                        }
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // connection gone
                } finally {
                    try {
                        out.close();
                    } catch (IOException e) {
                        // already closed
                    }
                }
            }, "relay-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
