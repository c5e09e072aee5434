package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

/** What the backend is told of the client, with wsgate.forwarded.to-backend on and off. */
class ClientAddressHeadersFilterTests {

    private final MockServerWebExchange exchange =
            MockServerWebExchange.from(MockServerHttpRequest.get("http://gateway.example.com/chat")
                    .remoteAddress(new InetSocketAddress("198.51.100.7", 40000))
                    .header("Host", "gateway.example.com")
                    .header("X-Real-IP", "6.6.6.6")
                    .header("x-forwarded-ssl", "on")
                    .header("Forwarded", "for=6.6.6.6")
                    .header("Cookie", "a=b"));

    @Test
    void withToBackendOffTheBackendGetsNoClientAddressHeaderAtAll() {
        HttpHeaders headers = new ClientAddressHeadersFilter(false)
                .filter(this.exchange.getRequest().getHeaders(), this.exchange);

        assertThat(headers.headerNames()).containsExactlyInAnyOrder("Host", "Cookie");
    }

    @Test
    void withToBackendOnOnlyWhatTheGatewayWroteIsThere() {
        HttpHeaders headers = new ClientAddressHeadersFilter(true)
                .filter(this.exchange.getRequest().getHeaders(), this.exchange);

        assertThat(headers.headerNames())
                .containsExactlyInAnyOrder(
                        "Host", "Cookie", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded");
        assertThat(headers.getFirst("Forwarded")).isEqualTo("for=198.51.100.7;proto=http;host=\"gateway.example.com\"");
    }
}
