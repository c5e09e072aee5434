package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** RFC 7239 Forwarded parsing: what each line's for= values are, and how a value is written back quoted. */
class ForwardedElementsTests {

    @Test
    void readsTokensAndQuotedStrings() {
        assertThat(ForwardedElements.forValues("for=192.0.2.43, for=\"[2001:db8:cafe::17]:4711\""))
                .containsExactly("192.0.2.43", "[2001:db8:cafe::17]:4711");
        assertThat(ForwardedElements.forValues("For=\"_gazonk\"; proto=http; by=203.0.113.43"))
                .containsExactly("_gazonk");
        assertThat(ForwardedElements.forValues("for=unknown")).containsExactly("unknown");
    }

    @Test
    void delimitersInsideQuotesArePartOfTheValue() {
        assertThat(ForwardedElements.forValues("host=\"a,b;for=6.6.6.6\";for=198.51.100.7, for=10.0.0.1"))
                .containsExactly("198.51.100.7", "10.0.0.1");
        assertThat(ForwardedElements.forValues("for=\"a\\\"b\"")).containsExactly("a\"b");
    }

    @Test
    void anElementWithoutExactlyOneForIsUntraceable() {
        assertThat(ForwardedElements.forValues("proto=https, for=10.0.0.1"))
                .containsExactly(ForwardedElements.UNTRACEABLE, "10.0.0.1");
        assertThat(ForwardedElements.forValues("for=6.6.6.6;for=198.51.100.7"))
                .containsExactly(ForwardedElements.UNTRACEABLE);
    }

    @Test
    void emptyElementsAreSkipped() {
        assertThat(ForwardedElements.forValues(" , for=10.0.0.1 ,, ")).containsExactly("10.0.0.1");
        assertThat(ForwardedElements.forValues("")).isEmpty();
    }

    @Test
    void aLineThatDoesNotParseIsOneUntraceableElement() {
        for (String broken : new String[] {
            "for=\"6.6.6.6, for=10.0.0.1", "for", "for=", "=x", "for=a\"b\"", "for=1.2.3.4 x", "for=\"a\\"
        }) {
            assertThat(ForwardedElements.forValues(broken)).as(broken).containsExactly(ForwardedElements.UNTRACEABLE);
        }
    }

    @Test
    void quotingEscapesQuotesAndBackslashes() {
        assertThat(ForwardedElements.quoted("gateway.example.com")).isEqualTo("\"gateway.example.com\"");
        assertThat(ForwardedElements.quoted("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        assertThat(ForwardedElements.forValues("for=" + ForwardedElements.quoted("a\"b\\c")))
                .containsExactly("a\"b\\c");
    }
}
