package io.scoria.accelerator.iscsi;

import io.netty.channel.EventLoop;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Answers Text Requests (RFC 7143 section 11.10, appendix C): {@code SendTargets=All} in a discovery
 * session lists the target of every volume the initiator may log in to (the caller's {@code targets}: not
 * one attached to other hosts only, nor one being created or deleted), {@code SendTargets=} or {@code SendTargets=<name>} in a normal
 * session its own target, each with {@code TargetAddress=<address the initiator reached>:<port>,1}.
 * Other keys are answered {@code NotUnderstood}. An answer longer than the initiator's
 * MaxRecvDataSegmentLength goes out in parts (C bit), each part asked for with an empty request
 * that carries the transfer tag of the previous part. The target list is built on a worker.
 *
 * <p>Threads: {@link #answer} and its callback on the connection's event loop.
 */
final class SendTargets {
    /** One Text Response's data; {@code transferTag} asks for the rest when not {@code last}. */
    record Chunk(byte[] bytes, boolean last, int transferTag) {
    }

    private final Supplier<List<String>> targets;
    private final boolean discovery;
    private final Executor workers;
    private final EventLoop loop;
    private byte[] rest;
    private int restTag;

    /** @param targets the target names this session may see (called on a worker) */
    SendTargets(Supplier<List<String>> targets, boolean discovery, Executor workers, EventLoop loop) {
        this.targets = targets;
        this.discovery = discovery;
        this.workers = workers;
        this.loop = loop;
    }

    void answer(byte[] request, int transferTag, SocketAddress local, Consumer<Chunk> send, int maxSegment) {
        if (transferTag != Pdu.RESERVED_TAG && rest != null && transferTag == restTag) {
            sendPart(rest, send, maxSegment);
            return;
        }
        rest = null;
        Map<String, String> keys;
        try {
            keys = TextKeys.parse(request);
        } catch (LoginException e) {
            send.accept(new Chunk(new byte[0], true, Pdu.RESERVED_TAG));
            return;
        }
        String which = keys.get("SendTargets");
        Map<String, String> others = new LinkedHashMap<>();
        keys.keySet().stream().filter(k -> !k.equals("SendTargets")).forEach(k -> others.put(k, "NotUnderstood"));
        if (which == null) {
            send.accept(new Chunk(TextKeys.format(others), true, Pdu.RESERVED_TAG));
            return;
        }
        String address = address(local);
        try {
            workers.execute(() -> {
                List<String> names = targets.get();
                loop.execute(() -> {
                    StringBuilder text = new StringBuilder();
                    for (String name : names) {
                        boolean wanted = which.equals("All") ? discovery : which.isEmpty() || which.equals(name);
                        if (wanted) {
                            text.append("TargetName=").append(name).append('\0');
                            text.append("TargetAddress=").append(address).append('\0');
                        }
                    }
                    byte[] out = text.toString().getBytes(StandardCharsets.UTF_8);
                    byte[] extra = TextKeys.format(others);
                    byte[] all = Arrays.copyOf(out, out.length + extra.length);
                    System.arraycopy(extra, 0, all, out.length, extra.length);
                    sendPart(all, send, maxSegment);
                });
            });
        } catch (RejectedExecutionException e) {
            send.accept(new Chunk(new byte[0], true, Pdu.RESERVED_TAG));
        }
    }

    private void sendPart(byte[] all, Consumer<Chunk> send, int maxSegment) {
        if (all.length <= maxSegment) {
            rest = null;
            send.accept(new Chunk(all, true, Pdu.RESERVED_TAG));
            return;
        }
        int cut = maxSegment;
        while (cut > 0 && all[cut - 1] != 0) {
            cut--; // end a part at a key boundary
        }
        if (cut == 0) {
            cut = maxSegment;
        }
        rest = Arrays.copyOfRange(all, cut, all.length);
        restTag = (restTag + 1) & 0x7fffffff;
        send.accept(new Chunk(Arrays.copyOf(all, cut), false, restTag));
    }

    static String address(SocketAddress local) {
        if (local instanceof InetSocketAddress a) {
            String host = a.getAddress().getHostAddress();
            if (a.getAddress() instanceof Inet6Address) {
                int zone = host.indexOf('%');
                host = "[" + (zone >= 0 ? host.substring(0, zone) : host) + "]";
            }
            return host + ":" + a.getPort() + ",1";
        }
        return "127.0.0.1:3260,1";
    }
}
