package io.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Every wsgate metadata key read by one parser, with one answer for a value it cannot use. */
@ExtendWith(OutputCaptureExtension.class)
class RouteSettingsParserTests {

    private final WsgateProperties properties = new WsgateProperties();

    @Test
    void aRouteThatSetsNothingTakesTheWsgateDefaults() {
        this.properties.getProxy().setCompression(true);
        this.properties.getLimits().setMaxSessionsPerRoute(7);
        this.properties.getLimits().setMaxSessionsPerClient(3);
        this.properties.getLimits().setHandshakeRatePerClient("10/s");
        RouteSettings settings = parser().parse("chat", Map.of());
        assertThat(settings.compression()).isTrue();
        assertThat(settings.frameLog()).isFalse();
        assertThat(settings.maxSessions()).isEqualTo(7);
        assertThat(settings.maxSessionsPerClient()).isEqualTo(3);
        assertThat(settings.handshakeRate()).isEqualTo(new HandshakeRate(10, Duration.ofSeconds(1)));
        assertThat(settings.healthPath()).isNull();
        assertThat(settings.session().pingInterval()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void readsEveryKindOfValue() {
        RouteSettings settings = parser().parse(
                        "chat",
                        Map.of(
                                "compression", "TRUE",
                                "frame-log", true,
                                "max-sessions", 1000,
                                "max-sessions-per-client", "4",
                                "handshake-rate-per-client", "off",
                                "allowed-origins", Map.of("0", "https://*.example.com"),
                                "health-path", "/select/chat",
                                "idle-timeout", "5m"));
        assertThat(settings.compression()).isTrue();
        assertThat(settings.frameLog()).isTrue();
        assertThat(settings.maxSessions()).isEqualTo(1000);
        assertThat(settings.maxSessionsPerClient()).isEqualTo(4);
        assertThat(settings.handshakeRate()).isNull();
        assertThat(settings.allowsOrigin("https://chat.example.com")).isTrue();
        assertThat(settings.allowsOrigin("https://evil.test")).isFalse();
        assertThat(settings.healthPath()).isEqualTo("/select/chat");
        assertThat(settings.session().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void readsTheAuthKeys() {
        RouteAuth auth = parser().parse(
                        "chat",
                        Map.of(
                                "auth", "JWT",
                                "auth-scopes", "chat.read chat.write",
                                "auth-claims", "tenant=acme, role=admin",
                                "auth-token-from", List.of("cookie", "subprotocol"),
                                "auth-keep-token", "true",
                                "auth-claim-headers", "sub=X-Auth-Subject,tenant=X-Auth-Tenant"))
                .auth();
        assertThat(auth.required()).isTrue();
        assertThat(auth.scopes()).containsExactlyInAnyOrder("chat.read", "chat.write");
        assertThat(auth.claims()).containsExactly(Map.entry("tenant", "acme"), Map.entry("role", "admin"));
        assertThat(auth.tokenFrom()).containsExactlyInAnyOrder(TokenSource.COOKIE, TokenSource.SUBPROTOCOL);
        assertThat(auth.keepToken()).isTrue();
        assertThat(auth.claimHeaders())
                .containsExactly(Map.entry("sub", "X-Auth-Subject"), Map.entry("tenant", "X-Auth-Tenant"));
        RouteAuth defaults = parser().defaults("plain").auth();
        assertThat(defaults.required()).isFalse();
        assertThat(defaults.tokenFrom()).containsExactlyInAnyOrder(TokenSource.HEADER, TokenSource.QUERY);
        assertThat(defaults.keepToken()).isFalse();
    }

    @Test
    void authValuesItCannotUseAreRefusedNamingTheKey() {
        for (Map.Entry<String, String> entry : List.of(
                Map.entry("auth", "oauth"),
                Map.entry("auth-token-from", "header,body"),
                Map.entry("auth-claims", "tenant"),
                Map.entry("auth-claim-headers", "sub=X Auth"),
                Map.entry("auth-keep-token", "yes"))) {
            assertThatExceptionOfType(InvalidRouteSettingsException.class)
                    .isThrownBy(() -> parser().parse("chat", Map.of(entry.getKey(), entry.getValue())))
                    .satisfies(ex -> assertThat(ex.getKey()).isEqualTo(entry.getKey()));
        }
        assertThatExceptionOfType(InvalidRouteSettingsException.class)
                .isThrownBy(() -> new RouteSettingsParser(this.properties, false).parse("chat", Map.of("auth", "jwt")))
                .withMessageContaining("without a token issuer");
    }

    @Test
    void readsMessageRatesPerDirectionOverTheRateForBothWays() {
        MessageLimits limits = parser().parse(
                        "feed",
                        Map.of(
                                "message-rate", "100/s burst 300",
                                "byte-rate-backend-to-client", "64KB/s burst 1MB",
                                "message-rate-client-to-backend", "5/500ms",
                                "rate-limit-action", "Close"))
                .session()
                .messageLimits();
        assertThat(limits.messagesClientToBackend()).isEqualTo(new MessageRate(5, Duration.ofMillis(500), 5));
        assertThat(limits.messagesBackendToClient()).isEqualTo(new MessageRate(100, Duration.ofSeconds(1), 300));
        assertThat(limits.bytesBackendToClient()).isEqualTo(new MessageRate(65536, Duration.ofSeconds(1), 1048576));
        assertThat(limits.bytesClientToBackend()).isNull();
        assertThat(limits.action()).isEqualTo(MessageLimits.Action.CLOSE);
        assertThat(parser().parse("chat", Map.of()).session().messageLimits()).isEqualTo(MessageLimits.NONE);
    }

    @Test
    void theClientKeyIsTheAddressOrAClaimByDefaultOrPerRoute() {
        assertThat(parser().parse("chat", Map.of()).clientKey()).isEqualTo(ClientKey.ADDRESS);
        this.properties.getLimits().setClientKey("claim:sub");
        assertThat(parser().parse("chat", Map.of()).clientKey()).isEqualTo(new ClientKey("sub"));
        assertThat(parser().parse("chat", Map.of("client-key", "Address")).clientKey())
                .isEqualTo(ClientKey.ADDRESS);
        assertThat(parser().parse("chat", Map.of("client-key", "claim:https://example.com/tenant"))
                        .clientKey()
                        .claim())
                .isEqualTo("https://example.com/tenant");
        for (String invalid : List.of("user", "claim:", "claim: a b", "sub")) {
            assertThatExceptionOfType(InvalidRouteSettingsException.class)
                    .isThrownBy(() -> parser().parse("chat", Map.of("client-key", invalid)))
                    .withMessageContaining("metadata client-key")
                    .withMessageContaining("address or claim:<name>");
        }
    }

    @Test
    void anInvalidDefaultClientKeyStopsTheParserNamingTheProperty() {
        this.properties.getLimits().setClientKey("subject");
        assertThatExceptionOfType(
                        org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException
                                .class)
                .isThrownBy(this::parser)
                .withMessageContaining("wsgate.limits.client-key");
    }

    @Test
    void aClaimKeyIsAFixedLengthHashOfTheClaimAndItsValue() {
        ClientKey sub = new ClientKey("sub");
        assertThat(sub.keyOf("alice")).matches("claim\\.[0-9a-f]{32}").isEqualTo(sub.keyOf("alice"));
        assertThat(sub.keyOf("bob")).isNotEqualTo(sub.keyOf("alice"));
        assertThat(new ClientKey("tenant").keyOf("alice")).isNotEqualTo(sub.keyOf("alice"));
        assertThat(sub.keyOf("a:b}{x} \r\n")).matches("claim\\.[0-9a-f]{32}");
    }

    @Test
    void aRateThatDoesNotParseIsAnError() {
        assertThatExceptionOfType(InvalidRouteSettingsException.class)
                .isThrownBy(() -> parser().parse("chat", Map.of("message-rate", "fast")))
                .withMessageContaining("message-rate");
        assertThatExceptionOfType(InvalidRouteSettingsException.class)
                .isThrownBy(() -> parser().parse("chat", Map.of("byte-rate", "1MB/s", "rate-limit-action", "drop")))
                .withMessageContaining("rate-limit-action");
    }

    @Test
    void aMisspelledBooleanIsAnErrorNotFalse() {
        assertThatExceptionOfType(InvalidRouteSettingsException.class)
                .isThrownBy(() -> parser().parse("chat", Map.of("compression", "ture")))
                .withMessage("route 'chat': metadata compression: 'ture' is not true or false");
        assertThatExceptionOfType(InvalidRouteSettingsException.class)
                .isThrownBy(() -> parser().parse("chat", Map.of("frame-log", "ture")))
                .withMessage("route 'chat': metadata frame-log: 'ture' is not true or false");
        assertThatExceptionOfType(InvalidRouteSettingsException.class)
                .isThrownBy(() -> parser().parse("chat", Map.of("compression", "yes")));
    }

    @Test
    void everyInvalidValueNamesTheRouteTheKeyAndTheValue() {
        Map<String, Object> invalid = Map.of(
                "idle-timeout", "whenever",
                "max-message-size", "big",
                "max-sessions", "lots",
                "max-sessions-per-client", "-1",
                "handshake-rate-per-client", "20",
                "client-key", "claim:");
        invalid.forEach((key, value) -> assertThatExceptionOfType(InvalidRouteSettingsException.class)
                .isThrownBy(() -> parser().parse("chat", Map.of(key, value)))
                .withMessageStartingWith("route 'chat': metadata " + key + ": '" + value + "' is not ")
                .satisfies(ex -> {
                    assertThat(ex.getRouteId()).isEqualTo("chat");
                    assertThat(ex.getKey()).isEqualTo(key);
                    assertThat(ex.getValue()).isEqualTo(value);
                }));
    }

    @Test
    void unknownKeysAreReportedWithTheKeyTheyMostLikelyMisspell(CapturedOutput output) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("idle-timout", "5m");
        metadata.put("maxSessions", "3");
        metadata.put("team", "payments");
        metadata.put("response-timeout", 5000);
        metadata.put("connect-timeout", 1000);
        metadata.put("cors", Map.of("allowedOrigins", "*"));
        metadata.put("health-path", "/");

        assertThat(RouteSettingsParser.unknownKeys(metadata)).containsExactly("idle-timout", "maxSessions", "team");
        parser().check("chat", metadata);

        assertThat(output.getOut())
                .contains(
                        "Route chat: unknown metadata key 'idle-timout' (did you mean 'idle-timeout'?); it is ignored")
                .contains("Route chat: unknown metadata key 'maxSessions' (did you mean 'max-sessions'?)")
                .contains("Route chat: unknown metadata key 'team'; it is ignored")
                .doesNotContain("'response-timeout'")
                .doesNotContain("'cors'");
    }

    @Test
    void unknownKeysAreReportedOncePerVersionOfTheRoute(CapturedOutput output) {
        RouteSettingsParser parser = parser();
        parser.check("chat", Map.of("compresion", "true"));
        parser.check("chat", Map.of("compresion", "true"));
        assertThat(occurrences(output.getOut(), "unknown metadata key 'compresion'"))
                .isEqualTo(1);

        parser.check("chat", Map.of("compresion", "false"));
        assertThat(occurrences(output.getOut(), "unknown metadata key 'compresion'"))
                .isEqualTo(2);
    }

    @Test
    void originsTakeAListAStringOrAMapByIndex() {
        for (Object origins : List.of(
                List.of("https://a.test", "https://b.test"),
                "https://a.test, https://b.test",
                Map.of("0", "https://a.test", "1", "https://b.test"))) {
            RouteSettings settings = parser().parse("chat", Map.of("allowed-origins", origins));
            assertThat(settings.allowsOrigin("https://b.test")).isTrue();
            assertThat(settings.allowsOrigin("https://c.test")).isFalse();
        }
    }

    private RouteSettingsParser parser() {
        return new RouteSettingsParser(this.properties);
    }

    private static int occurrences(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }
}
