package io.scoria.it.crash;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on loopback that connects each accepted connection to the NBD listener of the node that
 * owns a volume at that moment (as node {@code asker}'s REST API says): what a hypervisor does that
 * reconnects to the owner {@code scoria cluster status} names, so that an NBD client that only knows one
 * address (nbdkit's {@code nbd} plugin) follows the volume across handovers. A connection accepted while
 * no node owns the volume, or whose owner cannot be reached, is closed at once (the client retries).
 * Bytes are copied unchanged, one thread per direction; a side that closes closes the other.
 * {@link #routes()} lists the node each connection went to. Closing stops accepting and closes every
 * relayed connection; idempotent.
 */
final class OwnerProxy implements AutoCloseable {
    private final ClusterNodes cluster;
    private final ClusterNodes.Node asker;
    private final String volume;
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<String> routes = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    OwnerProxy(ClusterNodes cluster, ClusterNodes.Node asker, String volume) throws IOException {
        this.cluster = cluster;
        this.asker = asker;
        this.volume = volume;
        this.listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "owner-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** The node of every connection relayed so far, in order ({@code -} for one closed because no owner was known). */
    List<String> routes() {
        return new ArrayList<>(routes);
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException closed) {
                return;
            }
            sockets.add(client);
            ClusterNodes.Node owner = owner();
            Socket server = null;
            if (owner != null) {
                try {
                    server = new Socket(owner.host, owner.nbdPort);
                    sockets.add(server);
                } catch (IOException down) {
                    server = null;
                }
            }
            if (server == null) {
                routes.add("-");
                closeQuietly(client);
                continue;
            }
            routes.add(owner.id);
            pump(client, server);
            pump(server, client);
        }
    }

    private ClusterNodes.Node owner() {
        try {
            String id = cluster.owner(asker, volume);
            return id == null ? null : cluster.nodes.get(id);
        } catch (Exception unknown) {
            return null;
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[1 << 16];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (IOException closed) {
                // one side went away: the finally below closes both
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "owner-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a socket that failed already
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
