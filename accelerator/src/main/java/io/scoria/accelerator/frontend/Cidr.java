package io.scoria.accelerator.frontend;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An address block such as {@code 10.0.0.0/8}, {@code ::1/128} or a single address (a whole-length
 * prefix), written as numbers (never a host name, so parsing does no DNS lookup). Immutable.
 */
public record Cidr(byte[] network, int prefix) {
    public Cidr {
        network = network.clone();
    }

    /**
     * Parses {@code text}; a bad value is an {@link IllegalArgumentException} naming {@code what}
     * (the setting or option it came from) and the value.
     */
    public static Cidr parse(String what, String text) {
        Objects.requireNonNull(text, what);
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        if (!host.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException(what + " is not an IP address or CIDR block: " + text);
        }
        byte[] addr;
        try {
            addr = InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(what + " is not an IP address: " + text, e);
        }
        int prefix = addr.length * 8;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + " has a bad prefix length: " + text, e);
            }
            if (prefix < 0 || prefix > addr.length * 8) {
                throw new IllegalArgumentException(what + " has a bad prefix length: " + text);
            }
        }
        return new Cidr(addr, prefix);
    }

    /** True if {@code address} is in this block (an IPv4 address is never in an IPv6 block). */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (network[full] & mask);
    }
}
