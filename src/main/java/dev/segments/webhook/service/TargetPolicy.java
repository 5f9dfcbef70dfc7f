package dev.segments.webhook.service;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which URLs a webhook may call (server-side request forgery defence, docs/webhooks.md). Plain Java without
 * network access: it classifies a URL's host as written and the addresses it resolved to; resolving is the
 * caller's job ({@link WebhookTargets}), at registration and again right before each connection.
 *
 * <ul>
 *   <li>Only {@code http} and {@code https}; {@code http} only when allowed ({@code segments.webhooks.allow-http}).</li>
 *   <li>No credentials in the URL.</li>
 *   <li>IPv4 only in the canonical dotted form: a host whose last label is a number ({@code 2130706433},
 *       {@code 0x7f000001}, {@code 0177.0.0.1}, {@code 127.1}) is what browsers and C libraries read as an
 *       address in another notation, and is refused outright.</li>
 *   <li>IPv6 literals with an embedded IPv4 address (mapped {@code ::ffff:a.b.c.d}, compatible {@code ::a.b.c.d},
 *       NAT64 {@code 64:ff9b::/96}, 6to4, Teredo) or a zone id are refused outright.</li>
 *   <li>{@code localhost}, {@code *.localhost} and the cloud metadata names are refused by name.</li>
 *   <li>Every address must be public: IPv4 outside the IANA special-purpose ranges (private, loopback,
 *       link-local, CGNAT, documentation, benchmarking, multicast, reserved, "this network"), IPv6 inside
 *       global unicast {@code 2000::/3} and outside its special-purpose blocks.</li>
 *   <li>Except what the operator allows ({@code segments.webhooks.allowed-private-targets}): CIDRs, single
 *       addresses, or host names (a listed name may resolve to anything, and is exempt from the name rule).</li>
 * </ul>
 */
public final class TargetPolicy {

    /** Why a target is refused; for the operator's log. Tenants see only a fixed code and message. */
    public enum Refusal {
        SCHEME, HTTPS_REQUIRED, CREDENTIALS, NO_HOST, NUMERIC_FORM, EMBEDDED_IPV4, ZONE_ID, SPECIAL_NAME,
        UNRESOLVED, NON_PUBLIC_ADDRESS
    }

    /** A refused target; no stack trace (it is an expected outcome, not a bug). */
    public static final class Refused extends Exception {
        private final Refusal reason;

        public Refused(Refusal reason) {
            super(reason.name(), null, false, false);
            this.reason = reason;
        }

        public Refusal reason() {
            return reason;
        }
    }

    /** A URL's host as written: an address literal, or a name still to resolve. */
    public sealed interface Host permits Literal, Name {
    }

    public record Literal(InetAddress address) implements Host {
    }

    public record Name(String name) implements Host {
    }

    /** What {@link #check(URI)} found: the host and the port to connect to. */
    public record Checked(Host host, int port, boolean https) {
    }

    // before the CIDR constants, which are parsed with them
    private static final Pattern DOTTED_QUAD = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    private static final Pattern NUMBER_LABEL = Pattern.compile("[0-9]+|0[xX][0-9a-fA-F]*");
    private static final Pattern IPV6_TEXT = Pattern.compile("[0-9a-fA-F:.]+");
    private static final Pattern HOST_NAME = Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");

    /** A network and prefix length ({@code 10.0.0.0/8}, {@code fc00::/7}). */
    record Cidr(byte[] network, int prefix) {
        static Cidr of(String text) {
            int slash = text.indexOf('/');
            String addr = slash < 0 ? text : text.substring(0, slash);
            InetAddress a = literal(addr);
            if (a == null) {
                throw new IllegalArgumentException("not an IP address or CIDR: " + text);
            }
            int bits = a.getAddress().length * 8;
            int prefix;
            try {
                prefix = slash < 0 ? bits : Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a CIDR prefix length: " + text);
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("prefix length out of range: " + text);
            }
            return new Cidr(a.getAddress(), prefix);
        }

        boolean contains(InetAddress address) {
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

    /** IPv4 ranges that are not globally reachable (IANA IPv4 special-purpose registry) or must never be called. */
    private static final List<Cidr> NON_PUBLIC_V4 = cidrs(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
            "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4");

    /** Global unicast IPv6; everything outside it (loopback, ULA, link-local, multicast, ::/96, NAT64 ...) is not public. */
    private static final Cidr GLOBAL_UNICAST_V6 = Cidr.of("2000::/3");

    /** Special-purpose blocks inside 2000::/3: IETF protocol assignments incl. Teredo, documentation, 6to4. */
    private static final List<Cidr> NON_PUBLIC_V6 = cidrs("2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20");

    /** Host names that mean this machine or a cloud metadata service wherever they are resolved. */
    private static final Set<String> SPECIAL_NAMES = Set.of("localhost", "localhost.localdomain",
            "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal");

    private final boolean allowHttp;
    private final List<Cidr> allowedNetworks;
    private final Set<String> allowedNames;

    /**
     * @param allowHttp     accept {@code http} as well as {@code https}
     * @param allowedPrivate CIDRs ({@code 10.0.0.0/8}), addresses ({@code ::1}) or host names; an invalid entry
     *                      fails here (at start) rather than silently allowing nothing or everything
     */
    public TargetPolicy(boolean allowHttp, List<String> allowedPrivate) {
        this.allowHttp = allowHttp;
        List<Cidr> networks = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String raw : allowedPrivate) {
            String entry = raw.strip().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.startsWith("[") && entry.endsWith("]")) {
                entry = entry.substring(1, entry.length() - 1);
            }
            if (entry.contains("/") || entry.contains(":") || DOTTED_QUAD.matcher(entry).matches()) {
                networks.add(Cidr.of(entry));
            } else {
                String name = stripDot(entry);
                if (!HOST_NAME.matcher(name).matches() || endsInNumber(name)) {
                    throw new IllegalArgumentException("not a CIDR, address or host name: " + raw);
                }
                names.add(name);
            }
        }
        this.allowedNetworks = List.copyOf(networks);
        this.allowedNames = Set.copyOf(names);
    }

    /**
     * Checks everything that can be checked without resolving: scheme, credentials, the form of the host, the
     * special names, and a literal address. A {@link Name} that passes must still go through {@link #checkResolved}.
     */
    public Checked check(URI uri) throws Refused {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean https = scheme.equals("https");
        if (!https && !scheme.equals("http")) {
            throw new Refused(Refusal.SCHEME);
        }
        if (!https && !allowHttp) {
            throw new Refused(Refusal.HTTPS_REQUIRED);
        }
        String authority = uri.getRawAuthority();
        if (uri.getRawUserInfo() != null || (authority != null && authority.contains("@"))) {
            throw new Refused(Refusal.CREDENTIALS);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            // a registry-based authority (127.1, an underscore, a trailing dot after digits ...): classify it for
            // the log, but never call it: java.net and the HTTP client need not agree on what host it names
            if (authority != null && !authority.isEmpty()) {
                host(authorityHost(authority));
            }
            throw new Refused(Refusal.NO_HOST);
        }
        Host parsed = host(host);
        if (parsed instanceof Literal l && !allowed(l.address(), null)) {
            throw new Refused(Refusal.NON_PUBLIC_ADDRESS);
        }
        if (parsed instanceof Name n && isSpecialName(n.name()) && !allowedNames.contains(n.name())) {
            throw new Refused(Refusal.SPECIAL_NAME);
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : (https ? 443 : 80);
        return new Checked(parsed, port, https);
    }

    /** Every address a name resolved to must be allowed (one private answer is enough to refuse). */
    public void checkResolved(String name, List<InetAddress> addresses) throws Refused {
        if (addresses.isEmpty()) {
            throw new Refused(Refusal.UNRESOLVED);
        }
        for (InetAddress a : addresses) {
            if (!allowed(a, name)) {
                throw new Refused(Refusal.NON_PUBLIC_ADDRESS);
            }
        }
    }

    /** Public, or in an allowed network, or reached through an allowed host name. */
    boolean allowed(InetAddress address, String name) {
        if (isPublic(address) || (name != null && allowedNames.contains(name))) {
            return true;
        }
        for (Cidr c : allowedNetworks) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** True for globally reachable unicast addresses only. */
    public static boolean isPublic(InetAddress address) {
        if (address instanceof Inet4Address) {
            return NON_PUBLIC_V4.stream().noneMatch(c -> c.contains(address));
        }
        if (address instanceof Inet6Address) {
            return GLOBAL_UNICAST_V6.contains(address) && NON_PUBLIC_V6.stream().noneMatch(c -> c.contains(address));
        }
        return false;
    }

    /**
     * A host as written in a URL (IPv6 in brackets), without resolving anything. Refuses the numeric IPv4 forms
     * other than a.b.c.d, IPv6 literals carrying an IPv4 address or a zone id, and malformed literals.
     */
    public static Host host(String written) throws Refused {
        String h = written.toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            if (!h.endsWith("]")) {
                throw new Refused(Refusal.NO_HOST);
            }
            String inner = h.substring(1, h.length() - 1);
            if (inner.contains("%")) {
                throw new Refused(Refusal.ZONE_ID);
            }
            if (inner.contains(".")) {
                // ::ffff:127.0.0.1, ::127.0.0.1, 64:ff9b::10.0.0.1 ...: an IPv4 address in IPv6 clothing
                throw new Refused(Refusal.EMBEDDED_IPV4);
            }
            InetAddress a = literal(inner);
            if (a == null) {
                throw new Refused(Refusal.NO_HOST);
            }
            if (a instanceof Inet4Address) {
                // the JDK turns ::ffff:7f00:1 into 127.0.0.1
                throw new Refused(Refusal.EMBEDDED_IPV4);
            }
            return new Literal(a);
        }
        h = stripDot(h);
        if (h.isEmpty()) {
            throw new Refused(Refusal.NO_HOST);
        }
        if (endsInNumber(h)) {
            if (!DOTTED_QUAD.matcher(h).matches()) {
                throw new Refused(Refusal.NUMERIC_FORM);
            }
            InetAddress a = literal(h);
            if (a == null) {
                throw new Refused(Refusal.NUMERIC_FORM);
            }
            return new Literal(a);
        }
        return new Name(h);
    }

    static boolean isSpecialName(String name) {
        return SPECIAL_NAMES.contains(name) || name.endsWith(".localhost");
    }

    /** The WHATWG URL rule: a host whose last label is a number is an IPv4 address in some notation. */
    private static boolean endsInNumber(String host) {
        String last = host.substring(host.lastIndexOf('.') + 1);
        return !last.isEmpty() && NUMBER_LABEL.matcher(last).matches();
    }

    private static String stripDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }

    /** The host of an authority the URI class did not parse as server-based (user info and port removed). */
    private static String authorityHost(String authority) {
        if (authority == null) {
            return null;
        }
        String a = authority.substring(authority.lastIndexOf('@') + 1);
        if (a.startsWith("[")) {
            int end = a.indexOf(']');
            return end < 0 ? a : a.substring(0, end + 1);
        }
        int colon = a.lastIndexOf(':');
        return colon < 0 ? a : a.substring(0, colon);
    }

    /** A strict address literal (dotted quad or IPv6 without an embedded IPv4), never a name lookup. */
    static InetAddress literal(String text) {
        try {
            if (DOTTED_QUAD.matcher(text).matches()) {
                String[] parts = text.split("\\.");
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(parts[i]);
                    if (v > 255) {
                        return null;
                    }
                    b[i] = (byte) v;
                }
                return InetAddress.getByAddress(b);
            }
            if (text.contains(":") && IPV6_TEXT.matcher(text).matches() && !text.contains(".")) {
                // brackets make the JDK parse a literal or fail, never look the text up as a name
                return InetAddress.getByName("[" + text + "]");
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null;
    }

    private static List<Cidr> cidrs(String... texts) {
        return java.util.Arrays.stream(texts).map(Cidr::of).toList();
    }
}
