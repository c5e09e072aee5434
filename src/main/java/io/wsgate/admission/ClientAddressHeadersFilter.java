package io.wsgate.admission;

import io.wsgate.proxy.FilterOrder;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Makes the backend see only the client address the gateway resolved (see {@link ClientAddressResolver}): every
 * header in which a client or a proxy may name a client address ({@code X-Forwarded-*}, {@code Forwarded},
 * {@code X-Real-IP}, {@code True-Client-IP}, {@code CF-Connecting-IP}...) is removed, so a client cannot speak for
 * someone else; then, with {@code wsgate.forwarded.to-backend}, {@code X-Forwarded-For}, {@code X-Forwarded-Proto},
 * {@code X-Forwarded-Host} and {@code Forwarded} (RFC 7239) are written. Last in the gateway's header filter chain,
 * after Spring Cloud Gateway's own forwarded-header filters.
 */
final class ClientAddressHeadersFilter implements HttpHeadersFilter, Ordered {

    static final String X_FORWARDED_FOR = "X-Forwarded-For";

    static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";

    static final String X_FORWARDED_HOST = "X-Forwarded-Host";

    static final String FORWARDED = "Forwarded";

    /** Every {@code X-Forwarded-*} header (For, Host, Proto, Port, Prefix, Server, Ssl...) is removed. */
    private static final String X_FORWARDED_PREFIX = "x-forwarded-";

    /** Client-address headers of CDNs and proxies that backends are known to read. */
    static final List<String> CLIENT_ADDRESS_HEADERS = List.of(
            FORWARDED,
            "X-Real-IP",
            "True-Client-IP",
            "CF-Connecting-IP",
            "Fastly-Client-IP",
            "X-Client-IP",
            "X-Cluster-Client-IP",
            "X-Original-Forwarded-For");

    private final boolean toBackend;

    ClientAddressHeadersFilter(boolean toBackend) {
        this.toBackend = toBackend;
    }

    @Override
    public int getOrder() {
        return FilterOrder.BACKEND_HEADERS;
    }

    @Override
    public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
        HttpHeaders headers = new HttpHeaders();
        input.forEach((name, values) -> {
            if (!isClientAddressHeader(name)) {
                headers.addAll(name, values);
            }
        });
        if (!this.toBackend) {
            return headers;
        }
        InetSocketAddress client = exchange.getRequest().getRemoteAddress();
        URI uri = exchange.getRequest().getURI();
        // Validated by HostHeaderCheck: one Host of host[:port] syntax.
        String host = exchange.getRequest().getHeaders().getFirst(HttpHeaders.HOST);
        StringBuilder forwarded = new StringBuilder();
        if (client != null && client.getAddress() != null) {
            String ip = client.getAddress().getHostAddress();
            headers.set(X_FORWARDED_FOR, ip);
            forwarded
                    .append("for=")
                    .append(client.getAddress() instanceof Inet6Address ? "\"[" + ip + "]\"" : ip)
                    .append(';');
        }
        headers.set(X_FORWARDED_PROTO, uri.getScheme());
        forwarded.append("proto=").append(uri.getScheme());
        if (host != null) {
            headers.set(X_FORWARDED_HOST, host);
            forwarded.append(";host=").append(ForwardedElements.quoted(host));
        }
        headers.set(FORWARDED, forwarded.toString());
        return headers;
    }

    static boolean isClientAddressHeader(String name) {
        if (name.toLowerCase(Locale.ROOT).startsWith(X_FORWARDED_PREFIX)) {
            return true;
        }
        for (String header : CLIENT_ADDRESS_HEADERS) {
            if (header.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
