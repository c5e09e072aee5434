package io.wsgate.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class QueryTokenRedactionTests {

    @Test
    void eachAccessTokenValueIsRedactedTheRestOfTheQueryKept() {
        assertThat(QueryTokenRedaction.redact(URI.create("http://gw/chat?a=1&access_token=s3cr.et&b=&access_token=x")))
                .hasToString("http://gw/chat?a=1&access_token=redacted&b=&access_token=redacted");
        // The name percent-encoded is still the parameter the token check reads.
        assertThat(QueryTokenRedaction.redact(URI.create("http://gw/chat?access%5Ftoken=s3cret")))
                .hasToString("http://gw/chat?access%5Ftoken=redacted");
    }

    @Test
    void aUriWithoutTheParameterIsLeftAlone() {
        assertThat(QueryTokenRedaction.redact(URI.create("http://gw/chat"))).isNull();
        assertThat(QueryTokenRedaction.redact(URI.create("http://gw/chat?my_access_token=1&access_token")))
                .isNull();
        assertThat(QueryTokenRedaction.redact("/chat?x=1")).isEqualTo("/chat?x=1");
        assertThat(QueryTokenRedaction.redact("/chat")).isEqualTo("/chat");
    }

    @Test
    void aRequestLineTargetIsRedactedForTheAccessLog() {
        assertThat(QueryTokenRedaction.redact("/chat/room?t=1&access_token=eyJ.a.b"))
                .isEqualTo("/chat/room?t=1&access_token=redacted");
    }

    @Test
    void restorePutsTheClientsValuesBackInOrderWhereverTheBackendUriHasThem() {
        String client = "t=1&access_token=first&x=2&access_token=second";
        URI backend = URI.create("ws://backend:8088/room?t=1&access_token=redacted&x=2&access_token=redacted");
        assertThat(QueryTokenRedaction.restore(backend, client))
                .hasToString("ws://backend:8088/room?t=1&access_token=first&x=2&access_token=second");
        // A filter that added a parameter or dropped one: the remaining ones still get the client's values.
        assertThat(QueryTokenRedaction.restore(URI.create("ws://b/r?added=1&access_token=redacted"), client))
                .hasToString("ws://b/r?added=1&access_token=first");
        assertThat(QueryTokenRedaction.restore(URI.create("ws://b/r?t=1"), client))
                .hasToString("ws://b/r?t=1");
        assertThat(QueryTokenRedaction.restore(backend, null)).isSameAs(backend);
    }

    @Test
    void strippingKeepsTheOtherParametersInTheirOrder() {
        assertThat(BearerToken.withoutQueryToken(URI.create("ws://b/r?a=1&access_token=x&b=2&a=3#f")))
                .hasToString("ws://b/r?a=1&b=2&a=3#f");
        assertThat(BearerToken.withoutQueryToken(URI.create("ws://b/r?access_token=x")))
                .hasToString("ws://b/r");
    }
}
