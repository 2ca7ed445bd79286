package io.scoria.accelerator.foc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay, on a loopback port chosen by the system, to {@code port} on loopback, that keeps every
 * byte it passes in either direction (what a listener on the wire would see). Threads: one accepting,
 * two per connection (daemons); {@link #close} ends them.
 */
final class WireRelay implements AutoCloseable {
    private final ServerSocket listen = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final List<Socket> sockets = new ArrayList<>();

    WireRelay(int port) throws IOException {
        Thread accept = new Thread(() -> {
            try {
                while (true) {
                    Socket in = listen.accept();
                    Socket out = new Socket("127.0.0.1", port);
                    synchronized (sockets) {
                        sockets.add(in);
                        sockets.add(out);
                    }
                    pump(in.getInputStream(), out.getOutputStream());
                    pump(out.getInputStream(), in.getOutputStream());
                }
            } catch (IOException closed) {
                // the relay is closed
            }
        }, "relay-accept");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return listen.getLocalPort();
    }

    private void pump(InputStream from, OutputStream to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = from.read(buf)) > 0; ) {
                    synchronized (seen) {
                        seen.write(buf, 0, n);
                    }
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException closed) {
                // one side went
            }
        }, "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Every byte passed so far, both directions interleaved, one char per byte. */
    String captured() {
        synchronized (seen) {
            return seen.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Override
    public void close() throws IOException {
        listen.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
