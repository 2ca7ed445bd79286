package io.scoria.it.crash;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux network namespace joined to the root namespace by a veth pair with a private /30, so that a
 * test can cut one process off the network while others still reach it: the process runs behind
 * {@link #launcher()} ({@code ip netns exec NAME}) and listens on {@link #innerAddress}; the root side of
 * the pair is {@link #rootAddress}, where that process reaches the test's servers (which must listen on
 * it or on every address). {@link #cut} installs iptables rules inside the namespace that drop all its
 * traffic except the listed ports; {@link #heal} removes them. {@link #countRequests} counts HTTP requests
 * the namespace sends to a port (iptables string match, one rule per method), so a test can tell what that
 * one process sent to a server shared with others.
 *
 * <p>The name, the veth names and the subnet derive from the test JVM's pid (a /30 of 10.0.0.0/8 per
 * pid), so concurrent runs do not collide; {@link #create} refuses a name or address that exists. Needs
 * root and the {@code ip} and {@code iptables} commands. Closing deletes the namespace (its iptables
 * rules go with it) and the veth pair; idempotent, and safe after a {@link #create} that failed half way.
 * Processes started in the namespace must be gone first. Not thread-safe: one test thread uses it.
 */
final class NetworkNamespace implements AutoCloseable {
    private static final Pattern COUNTER = Pattern.compile(
            "--dport (\\d+) -m string --string \"([A-Z]+) /\" --algo bm -c (\\d+) \\d+");

    final String name;
    final String rootAddress;
    final String innerAddress;
    private final String rootVeth;
    private final String innerVeth;
    private boolean closed;

    private NetworkNamespace(long pid) {
        long subnet = (pid & 0x3FFFFF) << 2; // 2^22 /30 subnets in 10.0.0.0/8
        String prefix = "10." + ((subnet >> 16) & 255) + "." + ((subnet >> 8) & 255) + ".";
        this.name = "scoria-part-" + pid;
        this.rootAddress = prefix + ((subnet & 255) | 1);
        this.innerAddress = prefix + ((subnet & 255) | 2);
        this.rootVeth = "sp" + pid + "r";
        this.innerVeth = "sp" + pid + "n";
    }

    /** Creates the namespace and the veth pair, both ends up, for this JVM's pid. */
    static NetworkNamespace create() throws IOException, InterruptedException {
        NetworkNamespace ns = new NetworkNamespace(ProcessHandle.current().pid());
        String existing = run("ip", "netns", "list") + run("ip", "-br", "addr");
        if (ns.exists() || existing.contains(" " + ns.rootAddress + "/") || existing.contains(" " + ns.innerAddress + "/")) {
            throw new IllegalStateException("network namespace " + ns.name + " or address " + ns.rootAddress + "/"
                    + ns.innerAddress + " exists already (left over from a killed run with this pid? delete it with "
                    + "'ip netns del " + ns.name + "; ip link del " + ns.rootVeth + "'):\n" + existing);
        }
        try {
            run("ip", "netns", "add", ns.name);
            run("ip", "link", "add", ns.rootVeth, "type", "veth", "peer", "name", ns.innerVeth, "netns", ns.name);
            run("ip", "addr", "add", ns.rootAddress + "/30", "dev", ns.rootVeth);
            run("ip", "link", "set", ns.rootVeth, "up");
            run("ip", "-n", ns.name, "addr", "add", ns.innerAddress + "/30", "dev", ns.innerVeth);
            run("ip", "-n", ns.name, "link", "set", ns.innerVeth, "up");
            run("ip", "-n", ns.name, "link", "set", "lo", "up");
            ns.iptables("-N", "partition_in");
            ns.iptables("-N", "partition_out");
            ns.iptables("-A", "INPUT", "-j", "partition_in");
            ns.iptables("-A", "OUTPUT", "-j", "partition_out");
            return ns;
        } catch (IOException | RuntimeException | InterruptedException e) {
            ns.close();
            throw e;
        }
    }

    /** The command prefix that starts a program inside the namespace. */
    List<String> launcher() {
        return List.of("ip", "netns", "exec", name);
    }

    /**
     * Cuts the namespace off: from now on it exchanges packets only over its loopback, on TCP connections to
     * its own {@code servedPorts} (clients reaching its listeners) and on TCP connections to
     * {@code rootAddress:reachedPorts}. Everything else in or out is dropped silently (no reset), like a
     * broken link: established connections hang rather than fail.
     */
    void cut(List<Integer> servedPorts, List<Integer> reachedPorts) throws IOException, InterruptedException {
        iptables("-A", "partition_in", "-i", "lo", "-j", "ACCEPT");
        iptables("-A", "partition_out", "-o", "lo", "-j", "ACCEPT");
        for (int p : servedPorts) {
            iptables("-A", "partition_in", "-p", "tcp", "--dport", Integer.toString(p), "-j", "ACCEPT");
            iptables("-A", "partition_out", "-p", "tcp", "--sport", Integer.toString(p), "-j", "ACCEPT");
        }
        for (int p : reachedPorts) {
            iptables("-A", "partition_in", "-p", "tcp", "-s", rootAddress, "--sport", Integer.toString(p), "-j", "ACCEPT");
            iptables("-A", "partition_out", "-p", "tcp", "-d", rootAddress, "--dport", Integer.toString(p), "-j", "ACCEPT");
        }
        iptables("-A", "partition_in", "-j", "DROP");
        iptables("-A", "partition_out", "-j", "DROP");
    }

    /** Removes the rules of {@link #cut}: packets flow again. */
    void heal() throws IOException, InterruptedException {
        iptables("-F", "partition_in");
        iptables("-F", "partition_out");
    }

    /** From now on counts the packets leaving the namespace for {@code rootAddress:port} that carry "{@code METHOD /}". */
    void countRequests(int port, String... methods) throws IOException, InterruptedException {
        for (String m : methods) {
            iptables("-I", "OUTPUT", "1", "-p", "tcp", "-d", rootAddress, "--dport", Integer.toString(port), "-m", "string",
                    "--string", m + " /", "--algo", "bm");
        }
    }

    /** The packets counted by {@link #countRequests} for {@code port}, all methods together (one request: one packet). */
    long requests(int port) throws IOException, InterruptedException {
        long n = 0;
        Matcher m = COUNTER.matcher(run(inNamespace("iptables", "-w", "-S", "OUTPUT", "-v")));
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == port) {
                n += Long.parseLong(m.group(3));
            }
        }
        return n;
    }

    private void iptables(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("iptables", "-w"));
        argv.addAll(List.of(args));
        run(inNamespace(argv.toArray(new String[0])));
    }

    private String[] inNamespace(String... argv) {
        List<String> all = new ArrayList<>(launcher());
        all.addAll(List.of(argv));
        return all.toArray(new String[0]);
    }

    /** Runs {@code argv} (10 s at most); returns its output; fails with the output unless it exits with 0. */
    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + ": no exit within 10 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " exited with " + p.exitValue() + ": " + out.strip()
                    + (p.exitValue() == 2 || out.contains("Operation not permitted") ? " (network namespaces and iptables "
                    + "need root, CAP_NET_ADMIN and CAP_SYS_ADMIN)" : ""));
        }
        return out;
    }

    private boolean exists() throws IOException, InterruptedException {
        return run("ip", "netns", "list").lines().anyMatch(l -> l.split(" ")[0].equals(name));
    }

    /** Deletes the namespace and the veth pair (whichever exist); the first failure is thrown after both were tried. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = null;
        if (exists()) {
            try {
                run("ip", "netns", "del", name);
            } catch (IOException e) {
                first = e;
            }
        }
        if (run("ip", "-br", "link").contains(rootVeth)) {
            try {
                run("ip", "link", "del", rootVeth);
            } catch (IOException e) {
                first = first != null ? first : e;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
