package io.wsgate.session;

import io.netty.channel.Channel;
import io.wsgate.vocabulary.ClosedBy;
import io.wsgate.vocabulary.Leg;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * How one proxied session ends: every way it can end comes here, is decided once, and is carried out on both legs.
 *
 * <p>The ways: a peer's close frame ({@link #peerClosed}), a leg lost without one ({@link #legEnded}), a frame the
 * gateway refuses ({@link #violation}), a decision of the gateway's own (timers, limits, drain: {@link
 * #close(GatewayClose)}) and Reactor Netty closing a leg by itself on an error ({@link #closeRequested}). The first
 * one decides the {@link Ending}: who closed first with which code, and the close frame each leg is sent. Later
 * events only finish what the first one began. Each leg's close frame is written once, by its {@link LegGate},
 * which also ends the leg's TCP connection within a bound whatever the peer does. docs/session-lifecycle.md has
 * the whole table.
 */
public final class SessionLifecycle {

    /**
     * How a session ended.
     *
     * @param closedBy the side that ended it first
     * @param code the close code recorded for it: the code the closing peer sent (1005 for an empty close frame, 1006
     *     for none), or the code the gateway sent to the leg at fault
     * @param reason the reason that went with {@code code}, if any
     * @param toClient the close frame the client leg is sent, {@code null} when it is gone
     * @param toBackend the close frame the backend leg is sent, {@code null} when it is gone
     * @param byGateway the gateway's own close, when it was one of its timers, limits or the drain
     */
    public record Ending(
            ClosedBy closedBy,
            int code,
            String reason,
            CloseStatus toClient,
            CloseStatus toBackend,
            GatewayClose byGateway) {}

    private final ProxiedSession session;

    private final AtomicReference<Ending> ending = new AtomicReference<>();

    private final Sinks.Empty<Void> clientEnded = Sinks.empty();

    private final Sinks.Empty<Void> backendEnded = Sinks.empty();

    private volatile LegGate clientGate;

    private volatile LegGate backendGate;

    SessionLifecycle(ProxiedSession session) {
        this.session = session;
    }

    /**
     * Takes over the end of the backend's connection, as soon as its handshake completed: on its event loop, before
     * any of its frames is read, so that even a backend that closes at once is heard here.
     */
    public void backendOpened(Channel backend) {
        this.backendGate = LegGate.install(backend, Leg.BACKEND, this);
        Ending ending = this.ending.get();
        if (ending != null) {
            this.backendGate.end(ending.toBackend());
        }
    }

    /** Takes over the end of the client's connection once it is upgraded; before any of its frames is relayed. */
    void clientUpgraded(Channel client) {
        this.clientGate = LegGate.install(client, Leg.CLIENT, this);
        Ending ending = this.ending.get();
        if (ending != null) {
            // The backend ended the session while the client's upgrade was on its way.
            this.clientGate.end(ending.toClient());
        }
    }

    /** The client went away before its upgrade completed: the backend leg hears so. */
    public void clientNeverUpgraded() {
        legLost(Leg.CLIENT);
    }

    /**
     * The peer of {@code leg} sent a close frame with {@code code} ({@code -1}: an empty frame) and {@code reason}.
     * First: that peer closed the session; it gets its code back, the other leg gets it relayed.
     */
    void peerClosed(Leg leg, int code, String reason) {
        CloseStatus received = code < 0 ? CloseStatus.NO_STATUS_CODE : new CloseStatus(code, reason);
        CloseStatus echo = CloseCodes.echoed(received);
        CloseStatus relayed = CloseCodes.relayed(received, lost(leg));
        Ending ending = leg == Leg.CLIENT
                ? new Ending(ClosedBy.CLIENT, received.getCode(), reason, echo, relayed, null)
                : new Ending(ClosedBy.BACKEND, received.getCode(), reason, relayed, echo, null);
        if (decide(ending)) {
            SessionLog.closeRelayed(this.session, leg.tag(), received.getCode(), relayed.getCode());
        }
    }

    /** The connection of {@code leg} is closed. First: it went away without a close frame (1006). */
    void legEnded(Leg leg) {
        legLost(leg);
        (leg == Leg.CLIENT ? this.clientEnded : this.backendEnded).tryEmitEmpty();
    }

    /**
     * The connection of {@code leg} failed (reset, I/O error) and is about to close. First: its peer went away
     * without a close frame (1006); the other leg hears so.
     */
    void legLost(Leg leg) {
        int lost = CloseStatus.NO_CLOSE_FRAME.getCode();
        decide(
                leg == Leg.CLIENT
                        ? new Ending(ClosedBy.CLIENT, lost, null, null, lost(leg), null)
                        : new Ending(ClosedBy.BACKEND, lost, null, lost(leg), null, null));
    }

    /**
     * Reactor Netty wants to close {@code leg} on its own (a failed write, a failed relay stream). First: the gateway
     * failed, and both legs hear so with 1011.
     */
    void closeRequested(Leg leg) {
        LegGate other = leg == Leg.CLIENT ? this.backendGate : this.clientGate;
        if (other != null && !other.isConnected()) {
            // Most often the other leg is gone and Reactor Netty winds this one up: that loss is the ending.
            legLost(leg.other());
        } else {
            close(GatewayClose.relayFailed(leg));
        }
    }

    /**
     * The peer of {@code leg} sent what the gateway refuses (see {@code pipeline.FrameCheck}):
     * it gets {@code status}, the other leg 1001 (its peer went away, and why). Closed by the gateway, with {@code
     * status}'s code; a backend's is also counted as a gateway close ({@link GatewayClose#backendFailed}).
     */
    public void violation(Leg leg, CloseStatus status) {
        if (leg == Leg.BACKEND) {
            close(GatewayClose.backendFailed(status));
            return;
        }
        Ending ending = new Ending(
                ClosedBy.GATEWAY, status.getCode(), status.getReason(), status, CloseCodes.clientFailed(status), null);
        if (decide(ending)) {
            SessionLog.legFailed(this.session, leg, status);
        }
    }

    /** The gateway ends the session itself, unless it is ending already. */
    public void close(GatewayClose close) {
        Ending ending = new Ending(
                ClosedBy.GATEWAY,
                close.code(),
                close.toClient().getReason(),
                close.toClient(),
                close.toBackend(),
                close);
        if (decide(ending)) {
            SessionLog.closedByGateway(this.session, close);
        }
    }

    /** Whether the session is ending: nothing more is relayed. */
    public boolean isEnding() {
        return this.ending.get() != null;
    }

    /** How the session ended, or {@code null} while it is open. */
    public Ending ending() {
        return this.ending.get();
    }

    /** Completes when both legs' connections are closed. */
    Mono<Void> ended() {
        return Mono.when(this.clientEnded.asMono(), this.backendEnded.asMono());
    }

    private boolean decide(Ending ending) {
        if (!this.ending.compareAndSet(null, ending)) {
            return false;
        }
        end(this.clientGate, ending.toClient());
        end(this.backendGate, ending.toBackend());
        return true;
    }

    private static void end(LegGate gate, CloseStatus status) {
        if (gate != null) {
            gate.end(status);
        }
    }

    /** What the other leg hears when {@code leg} went away without a close frame. */
    private static CloseStatus lost(Leg leg) {
        return leg == Leg.CLIENT ? CloseCodes.CLIENT_LOST : CloseCodes.BACKEND_LOST;
    }
}
