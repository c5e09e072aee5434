package io.wsgate.session;

import static io.wsgate.support.RawWebSocket.BINARY;
import static io.wsgate.support.RawWebSocket.CLOSE;
import static io.wsgate.support.RawWebSocket.PING;
import static io.wsgate.support.RawWebSocket.PONG;
import static io.wsgate.support.RawWebSocket.TEXT;

import io.wsgate.session.SessionModel.Action;
import io.wsgate.session.SessionModel.Ending;
import io.wsgate.session.SessionModel.EndingKind;
import io.wsgate.session.SessionModel.Kind;
import io.wsgate.session.SessionModel.Message;
import io.wsgate.session.SessionModel.Sequence;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend.CloseFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Judges what a sequence's peers and the meters saw against the {@link SessionModel}: the rules that hold whatever
 * came first (no close frame but one, never empty, never 1005/1006/1015, nothing after it, messages a prefix of what
 * was sent, in order, both connections ended, one close counted, no session left open), then whether one of the
 * sequence's candidate endings explains everything both peers and the meters saw.
 */
final class SessionOracle {

    private SessionOracle() {}

    /**
     * What one run of a sequence saw.
     *
     * @param clientFrames every frame the client read, in order
     * @param clientEnd how the client's connection ended ({@code null}: not within the bound)
     * @param clientReset whether the client reset its own connection (it reads nothing after that)
     * @param clientWroteAfterClose whether the client wrote after a close frame of its own: the gateway closes at once
     *     after its answer, and data it never read turns that close into a TCP reset, which may discard its close
     *     frame before it reached the client
     * @param backendMessages what the backend recorded (messages and pings)
     * @param backendCloses every close frame the backend read
     * @param backendFramesAfterClose frames the backend read after the first close frame
     * @param backendSentAfterClose frames the backend sent after a close frame of its own: as with the client, data
     *     the gateway never read turns its close into a reset, which may discard its answer to the backend's close
     * @param backendEnded whether the backend's connection ended within the bound
     * @param closedDelta the increase of the route's {@code wsgate.sessions.closed} counters, by [closed.by,
     *     close.code]
     * @param active the route's open sessions at the end
     */
    record Observed(
            List<RawWebSocket.Frame> clientFrames,
            String clientEnd,
            boolean clientReset,
            boolean clientWroteAfterClose,
            List<Message> backendMessages,
            List<CloseFrame> backendCloses,
            int backendFramesAfterClose,
            int backendSentAfterClose,
            boolean backendEnded,
            Map<List<String>, Double> closedDelta,
            double active) {

        RawWebSocket.Frame clientClose() {
            return this.clientFrames.stream()
                    .filter(frame -> frame.opcode() == CLOSE)
                    .findFirst()
                    .orElse(null);
        }

        @Override
        public String toString() {
            List<String> client = this.clientFrames.stream()
                    .map(frame -> frame.opcode() == CLOSE
                            ? "close " + frame.closeCode() + " '" + frame.closeReason() + "'"
                                    + (frame.payload().length == 0 ? " (empty frame)" : "")
                            : Message.of(frame)
                                    + (frame.fin() ? "" : " fin=0")
                                    + (frame.rsv() == 0 ? "" : " rsv=" + frame.rsv()))
                    .toList();
            return String.format(
                    "client read %d frames%s, connection: %s%s%s%n  backend recorded %d messages%s, close frames %s,"
                            + " %d frames after the close, sent %d after its own close, connection ended: %s%n"
                            + "  meters: closed %s, active %s",
                    client.size(),
                    client.isEmpty()
                            ? ""
                            : " (last ones: " + client.subList(Math.max(0, client.size() - 4), client.size()) + ")",
                    this.clientEnd == null ? "still open" : this.clientEnd,
                    this.clientReset ? " (reset by the client)" : "",
                    this.clientWroteAfterClose ? " (the client wrote after its own close)" : "",
                    this.backendMessages.size(),
                    this.backendMessages.isEmpty()
                            ? ""
                            : " (last ones: "
                                    + this.backendMessages.subList(
                                            Math.max(0, this.backendMessages.size() - 3), this.backendMessages.size())
                                    + ")",
                    this.backendCloses,
                    this.backendFramesAfterClose,
                    this.backendSentAfterClose,
                    this.backendEnded,
                    this.closedDelta,
                    this.active);
        }
    }

    /** The verdict: the ending that explains what was seen ({@code null} if none does) and every broken rule. */
    record Verdict(Ending ending, List<String> problems) {

        boolean passed() {
            return this.problems.isEmpty();
        }
    }

    static Verdict judge(Sequence sequence, Observed observed) {
        List<String> problems = new ArrayList<>();
        checkClient(sequence, observed, problems);
        checkBackend(sequence, observed, problems);
        double closes = observed.closedDelta().values().stream()
                .mapToDouble(Double::doubleValue)
                .sum();
        if (observed.closedDelta().size() != 1 || closes != 1) {
            problems.add("expected exactly one session close counted on the route, got " + observed.closedDelta());
        }
        if (observed.active() != 0) {
            problems.add("wsgate_sessions_active of the route stays " + observed.active() + " above where it began");
        }
        List<String> mismatches = new ArrayList<>();
        Ending matched = null;
        for (Ending candidate : sequence.candidates()) {
            List<String> wrong = mismatches(sequence, candidate, observed);
            if (wrong.isEmpty()) {
                matched = candidate;
                break;
            }
            mismatches.add("if " + candidate + " came first: " + String.join("; ", wrong));
        }
        if (matched == null) {
            problems.add("no ending that may come first explains what both peers and the meters saw:\n    "
                    + String.join("\n    ", mismatches));
        }
        return new Verdict(matched, problems);
    }

    private static void checkClient(Sequence sequence, Observed observed, List<String> problems) {
        List<RawWebSocket.Frame> frames = observed.clientFrames();
        List<Message> expected = sequence.expectedAtClient();
        int received = 0;
        for (int i = 0; i < frames.size(); i++) {
            RawWebSocket.Frame frame = frames.get(i);
            if (frame.opcode() == CLOSE) {
                if (frame.payload().length < 2) {
                    problems.add("the client got a close frame with " + frame.payload().length + " payload bytes");
                } else if (!CloseCodes.isSendable(frame.closeCode())) {
                    problems.add("the client got close code " + frame.closeCode() + ", which is never sent");
                }
                if (i < frames.size() - 1) {
                    problems.add("the client got " + (frames.size() - 1 - i) + " frames after the close frame: "
                            + frames.subList(i + 1, Math.min(frames.size(), i + 4)));
                }
                break;
            }
            if (!frame.fin()
                    || frame.rsv() != 0
                    || !(frame.opcode() == TEXT
                            || frame.opcode() == BINARY
                            || frame.opcode() == PING
                            || frame.opcode() == PONG)) {
                problems.add("the client got a frame that is not one whole message: " + frame);
                continue;
            }
            Message message = Message.of(frame);
            if (message.keepalive()) {
                continue;
            }
            if (received >= expected.size()) {
                problems.add("the client got message #" + (received + 1) + " " + message + ", but only "
                        + expected.size() + " answers were due");
                break;
            }
            if (!message.same(expected.get(received))) {
                problems.add("the client got as message #" + (received + 1) + " " + message + ", expected "
                        + expected.get(received));
                break;
            }
            received++;
        }
        if (observed.clientEnd() == null && !observed.clientReset()) {
            problems.add("the gateway did not end the client's connection within the bound");
        }
    }

    private static void checkBackend(Sequence sequence, Observed observed, List<String> problems) {
        List<Message> expected = sequence.expectedAtBackend();
        List<Message> messages =
                observed.backendMessages().stream().filter(m -> !m.keepalive()).toList();
        for (int i = 0; i < messages.size(); i++) {
            if (i >= expected.size()) {
                problems.add("the backend got message #" + (i + 1) + " " + messages.get(i)
                        + ", but the client sent only " + expected.size() + " before its end");
                break;
            }
            if (!messages.get(i).same(expected.get(i))) {
                problems.add("the backend got as message #" + (i + 1) + " " + messages.get(i) + ", expected "
                        + expected.get(i));
                break;
            }
        }
        List<CloseFrame> closes = observed.backendCloses();
        if (closes.size() > 1) {
            problems.add("the backend got " + closes.size() + " close frames: " + closes);
        }
        for (CloseFrame close : closes) {
            if (close.code() == -1) {
                problems.add("the backend got an empty close frame");
            } else if (!CloseCodes.isSendable(close.code())) {
                problems.add("the backend got close code " + close.code() + ", which is never sent");
            }
        }
        if (observed.backendFramesAfterClose() > 0) {
            problems.add("the backend got " + observed.backendFramesAfterClose() + " frames after the close frame");
        }
        if (!observed.backendEnded()) {
            problems.add("the gateway did not end the backend's connection within the bound");
        }
    }

    /** Why {@code ending}, as the first ending, does not explain what was seen; empty if it does. */
    private static List<String> mismatches(Sequence sequence, Ending ending, Observed observed) {
        List<String> wrong = new ArrayList<>();
        List<String> meter = List.of(ending.closedBy(), ending.codeTag());
        if (!observed.closedDelta().containsKey(meter)) {
            wrong.add("counted " + observed.closedDelta().keySet() + " instead of " + meter);
        }
        // The client's close frame.
        RawWebSocket.Frame close = observed.clientClose();
        Expect toClient = switch (ending.kind()) {
            case CLIENT_CLOSE, BACKEND_CLOSE -> Expect.exactly(ending.code(), ending.reason());
            case CLIENT_EMPTY_CLOSE -> Expect.code(1000);
            case CLIENT_FAILED -> Expect.code(ending.code());
            case CLIENT_LOST -> null;
            case BACKEND_LOST -> Expect.exactly(1011, "backend connection lost");
            case IDLE_TIMEOUT -> Expect.exactly(1001, "idle timeout");
        };
        if (toClient == null) {
            if (close != null) {
                wrong.add(
                        "the client got close " + close.closeCode() + " '" + close.closeReason() + "', expected none");
            }
        } else if (close == null) {
            // A client that reset its connection may have done so before the close frame came; one that wrote after
            // its own close frame may have been reset by the gateway; one that sent a FIN has its connection closed
            // when the gateway reads it (no half-closed connections), with whatever was not written yet.
            boolean finished = sequence.actions().stream().anyMatch(action -> action.kind() == Kind.CLIENT_FIN);
            if (!observed.clientReset() && !observed.clientWroteAfterClose() && !finished) {
                wrong.add("the client got no close frame, expected " + toClient);
            }
        } else if (!toClient.matches(close.closeCode(), close.closeReason())) {
            wrong.add("the client got close " + close.closeCode() + " '" + close.closeReason() + "', expected "
                    + toClient);
        }
        // The backend's close frame.
        Expect toBackend = switch (ending.kind()) {
            case CLIENT_CLOSE, BACKEND_CLOSE -> Expect.exactly(ending.code(), ending.reason());
            case CLIENT_EMPTY_CLOSE -> Expect.code(1000);
            case CLIENT_FAILED -> Expect.prefix(1001, "client failed with " + ending.code() + ": ");
            case CLIENT_LOST -> Expect.exactly(1001, "client went away");
            case BACKEND_LOST -> null;
            case IDLE_TIMEOUT -> Expect.code(1001);
        };
        List<CloseFrame> closes = observed.backendCloses();
        if (toBackend == null) {
            if (!closes.isEmpty()) {
                wrong.add("the backend got " + closes + ", expected no close frame");
            }
        } else if (closes.isEmpty()) {
            // A backend that closed its connection itself may never read the gateway's close frame.
            boolean mayMiss = (ending.kind() == EndingKind.BACKEND_CLOSE && !ending.echoSeen())
                    || observed.backendSentAfterClose() > 0
                    || backendMayBeGone(sequence);
            if (!mayMiss) {
                wrong.add("the backend got no close frame, expected " + toBackend);
            }
        } else if (!toBackend.matches(closes.get(0).code(), closes.get(0).reason())) {
            wrong.add("the backend got " + closes.get(0) + ", expected " + toBackend);
        }
        return wrong;
    }

    /** Whether the backend may have closed its connection itself at some point of the sequence. */
    private static boolean backendMayBeGone(Sequence sequence) {
        for (Action action : sequence.actions()) {
            if (action.kind() == Kind.BACKEND_DROP) {
                return true;
            }
            Ending ending = action.ending();
            if (action.kind() == Kind.CLIENT_WRITE && ending != null && !ending.clientSide()) {
                return true;
            }
        }
        return false;
    }

    /** An expected close frame: its code, and its reason exactly, by prefix or any. */
    private record Expect(int code, String reason, boolean prefix) {

        static Expect exactly(int code, String reason) {
            return new Expect(code, reason, false);
        }

        static Expect prefix(int code, String reason) {
            return new Expect(code, reason, true);
        }

        static Expect code(int code) {
            return new Expect(code, null, false);
        }

        boolean matches(int code, String reason) {
            if (code != this.code) {
                return false;
            }
            if (this.reason == null) {
                return true;
            }
            String actual = Objects.requireNonNullElse(reason, "");
            return this.prefix ? actual.startsWith(this.reason) : actual.equals(this.reason);
        }

        @Override
        public String toString() {
            return this.code
                    + (this.reason == null ? "" : this.prefix ? " '" + this.reason + "...'" : " '" + this.reason + "'");
        }
    }
}
