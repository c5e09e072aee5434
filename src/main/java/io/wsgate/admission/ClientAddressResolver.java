package io.wsgate.admission;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import io.wsgate.config.WsgateProperties.Forwarded.Header;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import reactor.netty.http.server.ConnectionInfo;
import reactor.netty.transport.AddressUtils;

/**
 * Finds the real client behind trusted proxies, for Reactor Netty's {@code HttpServer.forwarded(...)}: then the
 * request's remote address, which the session log, the limits and the backend headers read, is the client's.
 *
 * <p>Only a peer inside {@code wsgate.forwarded.trusted-proxies} is believed, and only in the one header named by
 * {@code wsgate.forwarded.header} ({@code X-Forwarded-For}, or the {@code for=} of RFC 7239 {@code Forwarded}):
 * the other header is never read, since a proxy that only appends to one passes the other on as the client wrote
 * it. The list is read from the right, each proxy appending the address it saw, and the first address that is not a
 * trusted proxy is the client. Earlier entries are what the client itself sent and are never believed. (Spring
 * Cloud Gateway's own {@code trusted-proxies} handler takes the leftmost entry instead, which any client can
 * write.) With the PROXY protocol the peer is the address from the PROXY header.
 */
final class ClientAddressResolver implements BiFunction<ConnectionInfo, HttpRequest, ConnectionInfo> {

    private static final String FORWARDED = "Forwarded";

    private static final String X_FORWARDED_FOR = "X-Forwarded-For";

    private final List<IpSubnetFilterRule> trustedProxies;

    private final Header header;

    /** {@code header} may be {@code null} when the resolver only tells trusted proxies ({@link #isTrusted}). */
    ClientAddressResolver(List<String> trustedProxies, Header header) {
        this.trustedProxies =
                trustedProxies.stream().map(ClientAddressResolver::rule).toList();
        this.header = header;
    }
    /** "10.0.0.0/8", "fd00::/8" or a single address (a /32 or /128). */
    static IpSubnetFilterRule rule(String cidr) {
        String text = cidr.trim();
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        if (!NetUtil.isValidIpV4Address(address) && !NetUtil.isValidIpV6Address(address)) {
            // Not a host name either: it would be looked up once, and never follow DNS changes.
            throw new IllegalArgumentException("Trusted proxy '" + cidr + "' is not an IP address or CIDR block");
        }
        try {
            int prefix = slash < 0 ? (address.contains(":") ? 128 : 32) : Integer.parseInt(text.substring(slash + 1));
            return new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("Trusted proxy '" + cidr + "' is not an address or CIDR block", ex);
        }
    }

    boolean isTrusted(InetSocketAddress address) {
        if (address == null || address.getAddress() == null) {
            return false;
        }
        for (IpSubnetFilterRule rule : this.trustedProxies) {
            if (rule.matches(address)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public ConnectionInfo apply(ConnectionInfo connectionInfo, HttpRequest request) {
        InetSocketAddress peer = connectionInfo.getRemoteAddress();
        InetSocketAddress client = resolve(peer, request.headers());
        return client == peer ? connectionInfo : connectionInfo.withRemoteAddress(client);
    }

    /** The client behind {@code peer}: the peer itself unless it is a trusted proxy that forwarded someone. */
    InetSocketAddress resolve(InetSocketAddress peer, HttpHeaders headers) {
        if (!isTrusted(peer)) {
            return peer;
        }
        List<String> hops = hops(headers);
        InetSocketAddress client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetSocketAddress hop = parse(hops.get(i), peer.getPort());
            if (hop == null) {
                // "unknown", an obfuscated identifier or garbage: nothing before it can be traced.
                break;
            }
            client = hop;
            if (!isTrusted(hop)) {
                break;
            }
        }
        return client;
    }

    /** The addresses the proxies recorded in the configured header, leftmost first. */
    private List<String> hops(HttpHeaders headers) {
        List<String> hops = new ArrayList<>();
        if (this.header == Header.FORWARDED) {
            for (String line : headers.getAll(FORWARDED)) {
                hops.addAll(ForwardedElements.forValues(line));
            }
        } else if (this.header == Header.X_FORWARDED_FOR) {
            for (String line : headers.getAll(X_FORWARDED_FOR)) {
                for (String hop : line.split(",")) {
                    hops.add(hop.trim());
                }
            }
        }
        return hops;
    }

    /** An IP address (with an optional port, IPv6 in brackets), or {@code null} for anything else. */
    private static InetSocketAddress parse(String hop, int defaultPort) {
        if (hop.isEmpty()) {
            return null;
        }
        if (NetUtil.isValidIpV6Address(hop) && !hop.startsWith("[")) {
            // A bare IPv6 address, as X-Forwarded-For writes it: its last group is not a port.
            return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(hop), defaultPort);
        }
        try {
            InetSocketAddress address = AddressUtils.parseAddress(hop, defaultPort, true);
            return address.getAddress() != null ? address : null;
        } catch (RuntimeException ex) {
            return null;
        }
    }
}
