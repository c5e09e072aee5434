package io.wsgate.admission;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.URI;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Tells backends who the client is: {@code X-Forwarded-For}, {@code X-Forwarded-Proto}, {@code X-Forwarded-Host}
 * and {@code Forwarded} (RFC 7239) with the client address the gateway resolved (see
 * {@link ClientAddressResolver}), replacing whatever the request came with, so a client cannot speak for
 * someone else. Last in the gateway's header filter chain, after Spring Cloud Gateway's own forwarded-header
 * filters.
 */
final class ClientAddressHeadersFilter implements HttpHeadersFilter, Ordered {

    static final String X_FORWARDED_FOR = "X-Forwarded-For";

    static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";

    static final String X_FORWARDED_HOST = "X-Forwarded-Host";

    static final String FORWARDED = "Forwarded";

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
        HttpHeaders headers = new HttpHeaders();
        headers.addAll(input);
        headers.remove(X_FORWARDED_FOR);
        headers.remove(X_FORWARDED_PROTO);
        headers.remove(X_FORWARDED_HOST);
        headers.remove(FORWARDED);
        InetSocketAddress client = exchange.getRequest().getRemoteAddress();
        URI uri = exchange.getRequest().getURI();
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
            forwarded.append(";host=\"").append(host).append('"');
        }
        headers.set(FORWARDED, forwarded.toString());
        return headers;
    }
}
