package io.wsgate.session;

import static io.wsgate.support.RawWebSocket.BINARY;
import static io.wsgate.support.RawWebSocket.CLOSE;
import static io.wsgate.support.RawWebSocket.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Every way a session ends, at every point of its life: each ending (a peer's close, a violation, a peer gone with a
 * FIN or a reset, a gateway timer) is tried right after the 101, after traffic, in the middle of a fragmented
 * message, while the backend streams to the client, and while the client is not reading. Each checks the exact close
 * code each peer gets, that the client's TCP connection ends within a bound, and that the session's slot and meters
 * return to their baseline.
 */
@GatewayTest
class SessionLifecycleIntegrationTests {

    private static final Duration BOUND = Duration.ofSeconds(20);

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("lifecycle", "ws://127.0.0.1:" + backend.port(), "/lifecycle/**");
        routes.add("lifecycle-keepalive", "ws://127.0.0.1:" + backend.port(), "/keepalive/**")
                .metadata("ping-interval", "1s")
                .metadata("pong-timeout", "1s");
    }

    @AfterEach
    void everySessionEnded() {
        await().atMost(BOUND).until(() -> active("lifecycle") == 0 && active("lifecycle-keepalive") == 0);
    }

    /** Where the session is when its ending comes. */
    enum Moment {
        FIRST_FRAME,
        AFTER_TRAFFIC,
        MID_FRAGMENT,
        WHILE_BACKEND_STREAMS,
        CLIENT_NOT_READING,
        /** The client floods echoes without reading until both directions are stuck, then stays silent. */
        CLIENT_FLOODS_NOT_READING;

        boolean clientStuck() {
            return this == CLIENT_NOT_READING || this == CLIENT_FLOODS_NOT_READING;
        }
    }

    /**
     * An ending: what triggers it and what each peer must get. {@code toClient} 0: the client gets no close frame
     * (its connection is gone); {@code closedBy} and {@code code}: the session's record in the meters.
     */
    enum Ending {
        CLIENT_CLOSES(4000, 4000, "client", 4000),
        CLIENT_EMPTY_CLOSE(1000, 1000, "client", 1005),
        CLIENT_VIOLATES(1002, 1001, "gateway", 1002),
        CLIENT_INVALID_UTF8(1007, 1001, "gateway", 1007),
        CLIENT_FIN(0, 1001, "client", 1006),
        CLIENT_RESET(0, 1001, "client", 1006),
        BACKEND_CLOSES(4001, 4001, "backend", 4001),
        BACKEND_FIN(1011, 0, "backend", 1006),
        BACKEND_RESET(1011, 0, "backend", 1006),
        PONG_TIMEOUT(1001, 1001, "gateway", 1001);

        final int toClient;

        final int toBackend;

        final String closedBy;

        final int code;

        Ending(int toClient, int toBackend, String closedBy, int code) {
            this.toClient = toClient;
            this.toBackend = toBackend;
            this.closedBy = closedBy;
            this.code = code;
        }

        boolean clientGone() {
            return this == CLIENT_FIN || this == CLIENT_RESET;
        }
    }

    static Stream<Arguments> endingsAtEveryMoment() {
        List<Arguments> cases = new ArrayList<>();
        for (Ending ending : Ending.values()) {
            for (Moment moment : Moment.values()) {
                // A relay held up by a client that does not read stops reading the backend too, so the backend's
                // close frame or FIN waits unread behind its data: what ends such a session is the keepalive
                // (PONG_TIMEOUT while the client is not reading, on by default every 30 s) or the idle timeout. A
                // reset is seen at once and stays in.
                boolean unseen =
                        moment.clientStuck() && (ending == Ending.BACKEND_CLOSES || ending == Ending.BACKEND_FIN);
                // A flooding client's socket is busy with its own writes: only endings that need none of it.
                boolean busy = moment == Moment.CLIENT_FLOODS_NOT_READING
                        && ending != Ending.BACKEND_RESET
                        && ending != Ending.PONG_TIMEOUT
                        && ending != Ending.CLIENT_RESET;
                if (!unseen && !busy) {
                    cases.add(Arguments.of(ending, moment));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("endingsAtEveryMoment")
    void eachPeerGetsItsCodeAndTheSessionEnds(Ending ending, Moment moment) {
        String route = ending == Ending.PONG_TIMEOUT ? "lifecycle-keepalive" : "lifecycle";
        String tag = ending + "-" + moment + "-" + UUID.randomUUID();
        String path = (ending == Ending.PONG_TIMEOUT ? "/keepalive/" : "/lifecycle/") + "?t=" + tag;
        double closedBefore = closed(route, ending.closedBy, ending.code);
        // A small receive buffer: a client that stops reading fills it within a few messages.
        int receiveBuffer = moment.clientStuck() ? 8192 : 0;
        try (RawWebSocket ws = RawWebSocket.connect(this.port, path, receiveBuffer)) {
            assertThat(ws.handshake().status()).isEqualTo(101);
            ScriptedBackend.Recorded atBackend = backend.session(tag);
            bringTo(moment, ws);
            trigger(ending, moment, ws, atBackend);

            if (moment.clientStuck()) {
                // The client reads nothing: the session must end anyway, freeing its slot, within a bound.
                await().atMost(BOUND).until(() -> closed(route, ending.closedBy, ending.code) == closedBefore + 1);
                assertThat(active(route)).as("sessions open on the route").isZero();
            }
            if (!ending.clientGone()) {
                RawWebSocket.Frame close = closeOrEnd(ws);
                if (moment.clientStuck()) {
                    // The close frame may never have left: the gateway ended the connection without waiting for it.
                    if (close != null) {
                        assertThat(close.closeCode()).isEqualTo(ending.toClient);
                    }
                } else {
                    assertThat(close).as("a close frame to the client").isNotNull();
                    assertThat(close.closeCode())
                            .as("close code to the client, reason '%s'", close.closeReason())
                            .isEqualTo(ending.toClient);
                    answer(ws, close);
                    assertThat(ws.awaitEndOfStream())
                            .as("the gateway ends the client's TCP connection")
                            .isTrue();
                }
            }
            // A backend that stopped reading (held by the client that does not read) never reads its close frame.
            if (ending.toBackend != 0 && !moment.clientStuck()) {
                WebSocketCloseStatus backendClose = atBackend.awaitClose();
                assertThat(backendClose.code())
                        .as("close code to the backend, reason '%s'", backendClose.reasonText())
                        .isEqualTo(ending.toBackend);
            }
            await().atMost(BOUND).until(() -> closed(route, ending.closedBy, ending.code) == closedBefore + 1);
        }
    }

    /** The next close frame, skipping data and pings; {@code null} when the connection ends (or resets) first. */
    private static RawWebSocket.Frame closeOrEnd(RawWebSocket ws) {
        try {
            return ws.awaitClose();
        } catch (AssertionError | UncheckedIOException ex) {
            if (ex.getMessage() != null && ex.getMessage().startsWith("no frame within")) {
                throw ex;
            }
            return null;
        }
    }

    /** The next text or binary frame, past the gateway's keepalive pings. */
    private static RawWebSocket.Frame nextData(RawWebSocket ws) {
        RawWebSocket.Frame frame = ws.readFrame();
        while (frame.opcode() == RawWebSocket.PING) {
            frame = ws.readFrame();
        }
        return frame;
    }

    private static void bringTo(Moment moment, RawWebSocket ws) {
        switch (moment) {
            case FIRST_FRAME -> {}
            case AFTER_TRAFFIC -> {
                for (int i = 0; i < 3; i++) {
                    ws.sendText("round trip " + i);
                    assertThat(nextData(ws).text()).isEqualTo("round trip " + i);
                }
            }
            case MID_FRAGMENT -> ws.send(false, 0, TEXT, "the first part".getBytes(StandardCharsets.UTF_8), true);
            case WHILE_BACKEND_STREAMS -> {
                // 2 MiB: still streaming when the ending comes, and read to the end quickly afterwards.
                ws.sendText("stream:2048:1024");
                for (int i = 0; i < 10; i++) {
                    assertThat(nextData(ws).opcode()).isEqualTo(BINARY);
                }
            }
            case CLIENT_NOT_READING -> {
                // 256 MiB offered; backpressure holds the backend once the client's buffers are full.
                ws.sendText("stream:4096:65536");
                sleep(Duration.ofMillis(500));
            }
            case CLIENT_FLOODS_NOT_READING -> {
                // Echoes of up to 256 MiB: the writes block once the gateway stops reading, and this thread with
                // them until the gateway ends the connection.
                byte[] payload = new byte[65536];
                Thread flood = new Thread(() -> {
                    try {
                        for (int i = 0; i < 4096; i++) {
                            ws.send(BINARY, payload);
                        }
                    } catch (RuntimeException ex) {
                        // The gateway ended the connection.
                    }
                });
                flood.setDaemon(true);
                flood.start();
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    private static void trigger(Ending ending, Moment moment, RawWebSocket ws, ScriptedBackend.Recorded atBackend) {
        switch (ending) {
            case CLIENT_CLOSES -> ws.sendClose(4000, "client bye");
            case CLIENT_EMPTY_CLOSE -> ws.send(CLOSE, new byte[0]);
            case CLIENT_VIOLATES -> ws.send(true, 4, TEXT, "x".getBytes(StandardCharsets.UTF_8), true);
            case CLIENT_INVALID_UTF8 ->
                // In the middle of a fragmented message, the invalid byte arrives as its continuation.
                ws.send(true, 0, moment == Moment.MID_FRAGMENT ? 0 : TEXT, new byte[] {(byte) 0xFF}, true);
            case CLIENT_FIN -> ws.shutdownOutput();
            case CLIENT_RESET -> ws.reset();
            case BACKEND_CLOSES -> atBackend.closeWith(4001, "backend bye");
            case BACKEND_FIN -> atBackend.drop(false);
            case BACKEND_RESET -> atBackend.drop(true);
            case PONG_TIMEOUT -> {
                // The raw client never answers the gateway's pings: the gateway gives up after interval + timeout.
            }
        }
    }

    /** The client answers a close it did not start, as every real client does. */
    private static void answer(RawWebSocket ws, RawWebSocket.Frame close) {
        try {
            ws.sendClose(close.closeCode() == 1005 ? 1000 : close.closeCode(), "");
        } catch (UncheckedIOException ex) {
            // Already closed by the gateway: nothing to answer.
        }
    }

    private double active(String route) {
        return MeterCounts.activeSessions(this.registry, route);
    }

    private double closed(String route, String closedBy, int code) {
        return MeterCounts.sessionsClosed(
                this.registry, route, code >= 4000 ? "4xxx" : code >= 3000 ? "3xxx" : Integer.toString(code), closedBy);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
