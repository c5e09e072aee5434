package io.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedactedUriTests {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "ws://user:pw@host:8088/x?token=s, ws://host:8088/x",
        "wss://host/chat#frag, wss://host/chat",
        "ws://host, ws://host",
        "ws://[::1]:9000/a?b=c, ws://[::1]:9000/a",
        "lb:ws://user:pw@chat-pool/room?token=s, lb:ws://chat-pool/room",
        "ws://us%40er:p@ss@host_name:1/p, ws://host_name:1/p",
    })
    void dropsUserinfoQueryAndFragment(String uri, String shown) {
        assertThat(RedactedUri.of(URI.create(uri))).isEqualTo(shown);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ws://host/path", "http://10.0.0.1:8080/"})
    void keepsUrisWithoutCredentialsAsTheyAre(String uri) {
        assertThat(RedactedUri.of(URI.create(uri))).isEqualTo(uri);
    }
}
