package io.wsgate.session;

import static io.wsgate.support.RawWebSocket.BINARY;
import static io.wsgate.support.RawWebSocket.CLOSE;
import static io.wsgate.support.RawWebSocket.CONTINUATION;
import static io.wsgate.support.RawWebSocket.PING;
import static io.wsgate.support.RawWebSocket.PONG;
import static io.wsgate.support.RawWebSocket.TEXT;

import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The model behind {@link SessionModelIntegrationTests}: the actions a client and a backend can take on a session, a
 * generator that draws a sequence of them from a seed, and what the sequence lets each peer expect. Everything here
 * is decided by the seed; only the timing of the real sockets is not, so a sequence names every ending that may
 * legitimately come first ({@link Sequence#candidates()}) and the oracle accepts any of them, as long as both peers
 * and the meters agree on the same one.
 */
final class SessionModel {

    /** The gateway's largest message (max-frame-payload-length in application.yml). */
    static final int LIMIT = 1024 * 1024;

    /** The idle timeout of the routes that try the gateway's own timers. */
    static final int IDLE_TIMEOUT_MILLIS = 1000;

    /** How long a sequence lets its client stop reading at most. */
    static final int MAX_STOP_READING_MILLIS = 1500;

    private static final int MAX_ACTIONS = 40;

    private static final String KEEPALIVE = "wsgate-keepalive";

    private SessionModel() {}

    enum EndingKind {
        CLIENT_CLOSE,
        CLIENT_EMPTY_CLOSE,
        CLIENT_FAILED,
        CLIENT_LOST,
        BACKEND_CLOSE,
        BACKEND_LOST,
        IDLE_TIMEOUT
    }

    /**
     * A way the session may end, as the first ending. {@code code} and {@code reason}: what the closing peer sent
     * (CLIENT_CLOSE, BACKEND_CLOSE) or what the gateway sent the failed client (CLIENT_FAILED). {@code echoSeen}: for
     * BACKEND_CLOSE, whether the backend stays open to read the gateway's echo (false when it closed its connection
     * right after its close frame).
     */
    record Ending(EndingKind kind, int code, String reason, boolean echoSeen) {

        static Ending of(EndingKind kind) {
            return new Ending(kind, 0, "", false);
        }

        String closedBy() {
            return switch (this.kind) {
                case CLIENT_CLOSE, CLIENT_EMPTY_CLOSE, CLIENT_LOST -> "client";
                case BACKEND_CLOSE, BACKEND_LOST -> "backend";
                case CLIENT_FAILED, IDLE_TIMEOUT -> "gateway";
            };
        }

        /** The {@code close.code} tag of {@code wsgate.sessions.closed}. */
        String codeTag() {
            int recorded = switch (this.kind) {
                case CLIENT_CLOSE, BACKEND_CLOSE, CLIENT_FAILED -> this.code;
                case CLIENT_EMPTY_CLOSE -> 1005;
                case CLIENT_LOST, BACKEND_LOST -> 1006;
                case IDLE_TIMEOUT -> 1001;
            };
            return recorded >= 4000 ? "4xxx" : recorded >= 3000 ? "3xxx" : Integer.toString(recorded);
        }

        boolean clientSide() {
            return this.kind == EndingKind.CLIENT_CLOSE
                    || this.kind == EndingKind.CLIENT_EMPTY_CLOSE
                    || this.kind == EndingKind.CLIENT_FAILED
                    || this.kind == EndingKind.CLIENT_LOST;
        }

        @Override
        public String toString() {
            return switch (this.kind) {
                case CLIENT_CLOSE, BACKEND_CLOSE -> this.kind + "(" + this.code + " '" + this.reason + "')";
                case CLIENT_FAILED -> this.kind + "(" + this.code + ")";
                default -> this.kind.toString();
            };
        }
    }

    /** A message as a peer receives it. */
    record Message(int opcode, byte[] payload) {

        static Message of(RawWebSocket.Frame frame) {
            return new Message(frame.opcode(), frame.payload());
        }

        static Message of(ScriptedBackend.Received received) {
            int opcode = switch (received.type()) {
                case "text" -> TEXT;
                case "binary" -> BINARY;
                default -> PING;
            };
            return new Message(opcode, received.payload());
        }

        boolean same(Message other) {
            return this.opcode == other.opcode && Arrays.equals(this.payload, other.payload);
        }

        /** A ping or pong of the gateway's keepalive, which is no message of the peers. */
        boolean keepalive() {
            return (this.opcode == PING || this.opcode == PONG)
                    && new String(this.payload, StandardCharsets.ISO_8859_1).startsWith(KEEPALIVE);
        }

        @Override
        public String toString() {
            return opcodeName(this.opcode) + " " + describe(this.payload);
        }
    }

    enum Kind {
        /** The client writes {@code frames}. */
        CLIENT_WRITE,
        CLIENT_FIN,
        CLIENT_RESET,
        /** The client reads nothing for {@code millis}; the sequence goes on meanwhile. */
        STOP_READING,
        /** The sequence waits {@code millis} before its next action. */
        WAIT,
        /** The backend sends a close frame with {@code code} and {@code reason}. */
        BACKEND_CLOSE,
        /** The backend's connection ends without a close frame; {@code reset}: with a TCP reset. */
        BACKEND_DROP
    }

    /**
     * One action and what the model says it does: {@code toBackend} what the backend records of it if it is relayed,
     * {@code toClient} what comes back to the client, {@code ending} the ending it starts (if it does).
     */
    record Action(
            Kind kind,
            String label,
            List<byte[]> frames,
            int millis,
            int code,
            String reason,
            boolean reset,
            List<Message> toBackend,
            List<Message> toClient,
            Ending ending) {

        /** A TCP reset of the client's, which may overtake whatever the client sent before it. */
        boolean clientRst() {
            return this.ending != null && this.kind == Kind.CLIENT_RESET;
        }

        /** A TCP reset of the backend's, which may overtake whatever the backend sent before it. */
        boolean backendRst() {
            return this.ending != null && this.ending.kind() == EndingKind.BACKEND_LOST && this.reset;
        }

        @Override
        public String toString() {
            return this.label;
        }
    }

    /** A generated sequence: where it runs and its actions, in order. */
    record Sequence(long seed, boolean idleRoute, int receiveBuffer, List<Action> actions) {

        /** The index of the first action that ends the session from the client's side, or the size. */
        int firstClientEnding() {
            for (int i = 0; i < this.actions.size(); i++) {
                Ending ending = this.actions.get(i).ending();
                if (ending != null && ending.clientSide()) {
                    return i;
                }
            }
            return this.actions.size();
        }

        /**
         * Every ending that may come first: the client's first (its frames are read in order), every client reset
         * after it (a reset overtakes unread data), the backend's first by a command relayed before the client's
         * ending and its first by direct action (the two travel different ways), every backend reset, and the idle
         * timeout on a route that has one.
         */
        List<Ending> candidates() {
            List<Ending> candidates = new ArrayList<>();
            int clientEnd = firstClientEnding();
            if (clientEnd < this.actions.size()) {
                candidates.add(this.actions.get(clientEnd).ending());
            }
            boolean command = false;
            boolean direct = false;
            for (int i = 0; i < this.actions.size(); i++) {
                Action action = this.actions.get(i);
                Ending ending = action.ending();
                if (ending == null) {
                    continue;
                }
                if (i > clientEnd && action.clientRst()) {
                    candidates.add(ending);
                } else if (!ending.clientSide()) {
                    boolean viaClient = action.kind() == Kind.CLIENT_WRITE;
                    if (viaClient && i > clientEnd) {
                        continue;
                    }
                    boolean first = viaClient ? !command : !direct;
                    if (first || action.backendRst()) {
                        candidates.add(ending);
                    }
                    if (first && viaClient && ending.kind() == EndingKind.BACKEND_CLOSE) {
                        // The backend closes its connection right after its close frame: with what the client sent
                        // after the command still unread, that is a reset, which may discard the close frame.
                        candidates.add(Ending.of(EndingKind.BACKEND_LOST));
                    }
                    command |= viaClient;
                    direct |= !viaClient;
                }
            }
            if (this.idleRoute) {
                candidates.add(new Ending(EndingKind.IDLE_TIMEOUT, 1001, "idle timeout", true));
            }
            return candidates.stream().distinct().toList();
        }

        /** What the backend may record: what the client sent before its own ending, in order. */
        List<Message> expectedAtBackend() {
            List<Message> expected = new ArrayList<>();
            int clientEnd = firstClientEnding();
            for (int i = 0; i < clientEnd; i++) {
                expected.addAll(this.actions.get(i).toBackend());
            }
            return expected;
        }

        /** What the client may get back: the answers to what it sent before either side began to end the session. */
        List<Message> expectedAtClient() {
            List<Message> expected = new ArrayList<>();
            for (Action action : this.actions) {
                if (action.ending() != null) {
                    break;
                }
                expected.addAll(action.toClient());
            }
            return expected;
        }

        @Override
        public String toString() {
            StringBuilder out = new StringBuilder();
            out.append("seed=")
                    .append(this.seed)
                    .append(" route=")
                    .append(this.idleRoute ? "idle-timeout " + IDLE_TIMEOUT_MILLIS + "ms" : "plain")
                    .append(" receive-buffer=")
                    .append(this.receiveBuffer == 0 ? "default" : this.receiveBuffer + "B");
            for (int i = 0; i < this.actions.size(); i++) {
                out.append(String.format("%n  %2d. %s", i + 1, this.actions.get(i)));
            }
            return out.toString();
        }
    }

    /** The sequence of {@code seed}: the same seed gives the same actions, payloads and choices. */
    static Sequence generate(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean idleRoute = random.nextInt(8) == 0;
        int receiveBuffer = random.nextInt(10) < 3 ? 8192 : 0;
        Generator generator = new Generator(random, idleRoute);
        generator.run();
        return new Sequence(seed, idleRoute, receiveBuffer, List.copyOf(generator.actions));
    }

    /** Draws actions and keeps the model's state: what the client is in the middle of and who began to end. */
    private static final class Generator {

        private final SplittableRandom random;

        private final boolean idleRoute;

        private final List<Action> actions = new ArrayList<>();

        /** TEXT or BINARY while a fragmented message was left unfinished, else 0. */
        private int midFragment;

        private boolean clientEnded;

        private boolean clientGone;

        /** The backend began to end the session by a command the client sent it. */
        private boolean backendCommanded;

        /** The backend began to end the session by a direct action. */
        private boolean backendActed;

        private int noiseLeft = -1;

        Generator(SplittableRandom random, boolean idleRoute) {
            this.random = random;
            this.idleRoute = idleRoute;
        }

        void run() {
            while (this.noiseLeft != 0) {
                if (this.noiseLeft > 0) {
                    this.noiseLeft--;
                } else if (this.actions.size() >= MAX_ACTIONS) {
                    add(this.clientGone ? backendClose() : clientClose());
                    continue;
                }
                add(next());
            }
        }

        private void add(Action action) {
            this.actions.add(action);
            if (action.ending() != null && this.noiseLeft < 0) {
                // After the first ending, a few more actions: they race with it or must change nothing.
                this.noiseLeft = this.random.nextInt(4);
            }
        }

        private Action next() {
            while (true) {
                int pick = this.random.nextInt(1000);
                Action action = pick(pick);
                if (action != null) {
                    return action;
                }
            }
        }

        /** One action by weight (per mille), or null when it is not possible now. */
        private Action pick(int pick) {
            boolean canWrite = !this.clientGone;
            if ((pick -= 200) < 0) {
                return canWrite ? message(TEXT, smallSize()) : null;
            }
            if ((pick -= 130) < 0) {
                return canWrite ? message(BINARY, smallSize()) : null;
            }
            if ((pick -= 110) < 0) {
                return canWrite ? message(this.random.nextBoolean() ? TEXT : BINARY, mediumSize()) : null;
            }
            if ((pick -= 12) < 0) {
                return canWrite
                        ? message(this.random.nextBoolean() ? TEXT : BINARY, 65536 + this.random.nextInt(LIMIT - 65535))
                        : null;
            }
            if ((pick -= 110) < 0) {
                return canWrite ? fragmented() : null;
            }
            if ((pick -= 70) < 0) {
                return canWrite ? ping() : null;
            }
            if ((pick -= 20) < 0) {
                return canWrite ? unsolicitedPong() : null;
            }
            if ((pick -= 50) < 0) {
                return canWrite ? stream() : null;
            }
            if ((pick -= 50) < 0) {
                int millis = 50 + this.random.nextInt(MAX_STOP_READING_MILLIS - 49);
                return plain(Kind.STOP_READING, "client stops reading for " + millis + "ms", millis);
            }
            if ((pick -= 60) < 0) {
                int millis = 1 + this.random.nextInt(50);
                return plain(Kind.WAIT, "wait " + millis + "ms", millis);
            }
            if ((pick -= 20) < 0) {
                if (!this.idleRoute) {
                    return null;
                }
                int millis = IDLE_TIMEOUT_MILLIS + 500;
                return plain(Kind.WAIT, "wait " + millis + "ms (past the idle timeout)", millis);
            }
            // The endings: about one action in eighteen.
            if ((pick -= 12) < 0) {
                return canWrite ? clientClose() : null;
            }
            if ((pick -= 5) < 0) {
                return canWrite ? emptyClose() : null;
            }
            if ((pick -= 8) < 0) {
                return canWrite ? violation() : null;
            }
            if ((pick -= 5) < 0) {
                return canWrite ? invalidUtf8() : null;
            }
            if ((pick -= 4) < 0) {
                return canWrite && this.midFragment == 0 ? overLimit() : null;
            }
            if ((pick -= 4) < 0) {
                return canWrite ? clientLost(false) : null;
            }
            if ((pick -= 4) < 0) {
                return canWrite ? clientLost(true) : null;
            }
            if ((pick -= 10) < 0) {
                return backendClose();
            }
            if ((pick -= 4) < 0) {
                return backendDrop(false);
            }
            if ((pick -= 4) < 0) {
                return backendDrop(true);
            }
            if ((pick -= 5) < 0) {
                return canWrite ? closeCommand() : null;
            }
            if ((pick -= 3) < 0) {
                return canWrite ? command("die", Ending.of(EndingKind.BACKEND_LOST), false) : null;
            }
            if ((pick -= 3) < 0) {
                return canWrite ? command("reset", Ending.of(EndingKind.BACKEND_LOST), true) : null;
            }
            return null;
        }

        private int smallSize() {
            return this.random.nextInt(201);
        }

        private int mediumSize() {
            return 200 + this.random.nextInt(65537 - 200);
        }

        // --- client messages ---

        private Action message(int opcode, int size) {
            byte[] payload = opcode == TEXT ? text(size) : bytes(size);
            List<byte[]> frames = List.of(frame(true, 0, opcode, payload));
            String label = opcodeName(opcode) + " " + describe(payload);
            return dataMessage(
                    label, frames, List.of(new Message(opcode, payload)), List.of(new Message(opcode, payload)));
        }

        /**
         * A client write that starts a new message: relayed and answered as given, unless the client is in the
         * middle of a fragmented message (then it is a protocol error) or has ended its side already (then it
         * changes nothing).
         */
        private Action dataMessage(String label, List<byte[]> frames, List<Message> toBackend, List<Message> toClient) {
            if (this.clientEnded) {
                return write(label, frames, List.of(), List.of(), null);
            }
            if (this.midFragment != 0) {
                return clientFailed(label + " (a new message inside a fragmented one)", frames, 1002);
            }
            return write(label, frames, toBackend, toClient, null);
        }

        private Action fragmented() {
            int opcode = this.random.nextBoolean() ? TEXT : BINARY;
            int size = this.random.nextInt(8) == 0 ? this.random.nextInt(262145) : this.random.nextInt(8193);
            byte[] payload = opcode == TEXT ? text(size) : bytes(size);
            int count = 2 + this.random.nextInt(9);
            // Cut by the payload's length: a text may come out a few bytes longer than asked for.
            int[] cuts = cuts(payload.length, count);
            boolean cut = this.random.nextInt(8) == 0;
            int sent = cut ? 1 + this.random.nextInt(count - 1) : count;
            List<byte[]> frames = new ArrayList<>();
            List<Message> pings = new ArrayList<>();
            StringBuilder label =
                    new StringBuilder(opcodeName(opcode) + " " + describe(payload) + " in " + count + " fragments");
            for (int i = 0; i < sent; i++) {
                byte[] part = Arrays.copyOfRange(payload, cuts[i], cuts[i + 1]);
                frames.add(frame(i == count - 1, 0, i == 0 ? opcode : CONTINUATION, part));
                if (i < sent - 1 && this.random.nextInt(4) == 0) {
                    byte[] ping = ascii(this.random.nextInt(40));
                    frames.add(frame(true, 0, PING, ping));
                    pings.add(new Message(PING, ping));
                    label.append(", ping after #").append(i + 1);
                }
            }
            if (cut) {
                label.append(", only ").append(sent).append(" sent");
            }
            List<Message> toBackend = new ArrayList<>(pings);
            List<Message> toClient =
                    new ArrayList<>(pings.stream().map(SessionModel::pong).toList());
            if (!cut) {
                toBackend.add(new Message(opcode, payload));
                toClient.add(new Message(opcode, payload));
            }
            Action action = dataMessage(label.toString(), frames, toBackend, toClient);
            if (cut && action.ending() == null && !this.clientEnded) {
                this.midFragment = opcode;
            }
            return action;
        }

        private Action ping() {
            byte[] payload = ascii(this.random.nextInt(126));
            Message ping = new Message(PING, payload);
            return controlFrame(
                    "ping " + describe(payload),
                    frame(true, 0, PING, payload),
                    List.of(ping),
                    List.of(SessionModel.pong(ping)));
        }

        private Action unsolicitedPong() {
            byte[] payload = ascii(this.random.nextInt(126));
            // Unsolicited: relayed, but the backend records and answers no pong.
            return controlFrame("pong " + describe(payload), frame(true, 0, PONG, payload), List.of(), List.of());
        }

        /** A ping or pong: allowed between fragments. */
        private Action controlFrame(String label, byte[] frame, List<Message> toBackend, List<Message> toClient) {
            return this.clientEnded
                    ? write(label, List.of(frame), List.of(), List.of(), null)
                    : write(label, List.of(frame), toBackend, toClient, null);
        }

        private Action stream() {
            int count = 1 + this.random.nextInt(32);
            int size = this.random.nextInt(32769);
            String text = "stream:" + count + ":" + size;
            List<Message> streamed = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                streamed.add(new Message(BINARY, new byte[size]));
            }
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            return dataMessage(
                    "backend streams: text '" + text + "'",
                    List.of(frame(true, 0, TEXT, payload)),
                    List.of(new Message(TEXT, payload)),
                    streamed);
        }

        private Action closeCommand() {
            int code = sendableCode();
            String reason = new String(ascii(this.random.nextInt(40)), StandardCharsets.US_ASCII);
            return command(
                    "close:" + code + ":" + reason, new Ending(EndingKind.BACKEND_CLOSE, code, reason, false), false);
        }

        /** A text the backend acts on; relayed (and an ending) only if it is a valid message when sent. */
        private Action command(String text, Ending ending, boolean reset) {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            Action action = dataMessage(
                    "backend command: text '" + text + "'",
                    List.of(frame(true, 0, TEXT, payload)),
                    List.of(new Message(TEXT, payload)),
                    List.of());
            if (action.ending() != null || this.clientEnded || this.backendCommanded) {
                // Not relayed, or the backend is gone after an earlier command: it changes nothing.
                return action;
            }
            this.backendCommanded = true;
            return new Action(
                    Kind.CLIENT_WRITE,
                    action.label(),
                    action.frames(),
                    0,
                    0,
                    "",
                    reset,
                    action.toBackend(),
                    List.of(),
                    ending);
        }

        // --- client endings ---

        private Action clientClose() {
            int code = sendableCode();
            String reason = reason();
            byte[] frame =
                    frame(true, 0, CLOSE, RawWebSocket.closePayload(code, reason.getBytes(StandardCharsets.UTF_8)));
            return clientEnding(
                    "client close " + code + " '" + reason + "'",
                    frame,
                    new Ending(EndingKind.CLIENT_CLOSE, code, reason, true));
        }

        private Action emptyClose() {
            return clientEnding(
                    "client empty close", frame(true, 0, CLOSE, new byte[0]), Ending.of(EndingKind.CLIENT_EMPTY_CLOSE));
        }

        private Action clientEnding(String label, byte[] frame, Ending ending) {
            if (this.clientEnded) {
                return write(label, List.of(frame), List.of(), List.of(), null);
            }
            this.clientEnded = true;
            return write(label, List.of(frame), List.of(), List.of(), ending);
        }

        private Action clientFailed(String label, List<byte[]> frames, int code) {
            if (this.clientEnded) {
                return write(label, frames, List.of(), List.of(), null);
            }
            this.clientEnded = true;
            return write(label, frames, List.of(), List.of(), new Ending(EndingKind.CLIENT_FAILED, code, "", true));
        }

        private Action violation() {
            int kind = this.random.nextInt(this.midFragment != 0 ? 9 : 10);
            byte[] small = ascii(this.random.nextInt(20));
            return switch (kind) {
                case 0 -> {
                    int rsv = 1 + this.random.nextInt(7);
                    int opcode = new int[] {TEXT, BINARY, PING, CLOSE}[this.random.nextInt(4)];
                    byte[] payload = opcode == CLOSE ? RawWebSocket.closePayload(1000, new byte[0]) : small;
                    yield violation(opcodeName(opcode) + " with RSV " + rsv, frame(true, rsv, opcode, payload));
                }
                case 1 -> {
                    int opcode = new int[] {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}[this.random.nextInt(10)];
                    yield violation("reserved opcode " + Integer.toHexString(opcode), frame(true, 0, opcode, small));
                }
                case 2 -> violation("unmasked text", RawWebSocket.encode(true, 0, TEXT, small, false));
                case 3 ->
                    violation("ping in 2 fragments", frame(false, 0, PING, small), frame(true, 0, CONTINUATION, small));
                case 4 ->
                    violation("ping of 126-200 bytes", frame(true, 0, PING, ascii(126 + this.random.nextInt(75))));
                case 5 -> {
                    int code = new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
                            [this.random.nextInt(12)];
                    yield violation(
                            "close with invalid code " + code,
                            frame(true, 0, CLOSE, RawWebSocket.closePayload(code, new byte[0])));
                }
                case 6 -> violation("close with a 1-byte payload", frame(true, 0, CLOSE, new byte[] {0x03}));
                case 7 ->
                    violation(
                            "close with a 124-byte reason",
                            frame(true, 0, CLOSE, RawWebSocket.closePayload(1000, ascii(124))));
                case 8 ->
                    violation("pong in 2 fragments", frame(false, 0, PONG, small), frame(true, 0, CONTINUATION, small));
                default ->
                    violation(
                            "continuation with nothing to continue",
                            frame(this.random.nextBoolean(), 0, CONTINUATION, small));
            };
        }

        private Action violation(String label, byte[]... frames) {
            return clientFailed("violation: " + label, List.of(frames), 1002);
        }

        private static final String[] INVALID_UTF8 = {
            "ff", "fe", "80", "c0af", "c020", "eda080", "f4908080", "f8888080", "f08080"
        };

        private Action invalidUtf8() {
            byte[] invalid = HexFormat.of().parseHex(INVALID_UTF8[this.random.nextInt(INVALID_UTF8.length)]);
            // Never empty: after an unfinished text, a first byte that continues nothing keeps the message invalid.
            byte[] valid = text(1 + this.random.nextInt(64));
            byte[] payload = concat(valid, invalid);
            String shown = HexFormat.of().formatHex(invalid);
            if (this.midFragment == BINARY) {
                return clientFailed(
                        "invalid UTF-8 " + shown + " in a new text (a new message inside a fragmented one)",
                        List.of(frame(true, 0, TEXT, payload)),
                        1002);
            }
            if (this.midFragment == TEXT) {
                return clientFailed(
                        "invalid UTF-8 " + shown + " in the continuation",
                        List.of(frame(true, 0, CONTINUATION, payload)),
                        1007);
            }
            return switch (this.random.nextInt(3)) {
                case 0 ->
                    clientFailed("invalid UTF-8 " + shown + " in a text", List.of(frame(true, 0, TEXT, payload)), 1007);
                case 1 -> {
                    byte[] rest = text(this.random.nextInt(16));
                    yield clientFailed(
                            "invalid UTF-8 " + shown + " in the 2nd of 3 fragments",
                            List.of(
                                    frame(false, 0, TEXT, valid),
                                    frame(false, 0, CONTINUATION, invalid),
                                    frame(true, 0, CONTINUATION, rest)),
                            1007);
                }
                default ->
                    clientFailed(
                            "invalid UTF-8 " + shown + " in a close reason",
                            List.of(frame(true, 0, CLOSE, RawWebSocket.closePayload(1000, concat(ascii(4), invalid)))),
                            1007);
            };
        }

        private Action overLimit() {
            int size = LIMIT + 1 + this.random.nextInt(100_000);
            int opcode = this.random.nextBoolean() ? TEXT : BINARY;
            byte[] payload = opcode == TEXT ? ascii(size) : bytes(size);
            if (this.random.nextBoolean()) {
                return clientFailed(
                        opcodeName(opcode) + " of " + size + "B (over the limit)",
                        List.of(frame(true, 0, opcode, payload)),
                        1009);
            }
            int fragment = 65536 * (1 + this.random.nextInt(4));
            List<byte[]> frames = new ArrayList<>();
            for (int from = 0; from < size; from += fragment) {
                byte[] part = Arrays.copyOfRange(payload, from, Math.min(size, from + fragment));
                frames.add(frame(from + fragment >= size, 0, from == 0 ? opcode : CONTINUATION, part));
            }
            return clientFailed(
                    opcodeName(opcode) + " of " + size + "B in " + frames.size() + " fragments (over the limit)",
                    frames,
                    1009);
        }

        private Action clientLost(boolean reset) {
            // A reset may overtake what the client sent before it, so it is a candidate even after another ending.
            Ending ending = this.clientEnded && !reset ? null : Ending.of(EndingKind.CLIENT_LOST);
            this.clientEnded = true;
            this.clientGone = true;
            return new Action(
                    reset ? Kind.CLIENT_RESET : Kind.CLIENT_FIN,
                    reset ? "client TCP reset" : "client TCP FIN",
                    List.of(),
                    0,
                    0,
                    "",
                    reset,
                    List.of(),
                    List.of(),
                    ending);
        }

        // --- backend endings ---

        private Action backendClose() {
            int code = sendableCode();
            String reason = new String(ascii(this.random.nextInt(40)), StandardCharsets.US_ASCII);
            Ending ending = this.backendActed ? null : new Ending(EndingKind.BACKEND_CLOSE, code, reason, true);
            this.backendActed = true;
            return new Action(
                    Kind.BACKEND_CLOSE,
                    "backend close " + code + " '" + reason + "'",
                    List.of(),
                    0,
                    code,
                    reason,
                    false,
                    List.of(),
                    List.of(),
                    ending);
        }

        private Action backendDrop(boolean reset) {
            // A reset may overtake what the backend sent before it, so it is a candidate even after another ending.
            Ending ending = this.backendActed && !reset ? null : Ending.of(EndingKind.BACKEND_LOST);
            this.backendActed = true;
            return new Action(
                    Kind.BACKEND_DROP,
                    reset ? "backend TCP reset" : "backend TCP FIN",
                    List.of(),
                    0,
                    0,
                    "",
                    reset,
                    List.of(),
                    List.of(),
                    ending);
        }

        // --- helpers ---

        private Action write(
                String label, List<byte[]> frames, List<Message> toBackend, List<Message> toClient, Ending ending) {
            return new Action(Kind.CLIENT_WRITE, label, frames, 0, 0, "", false, toBackend, toClient, ending);
        }

        private static Action plain(Kind kind, String label, int millis) {
            return new Action(kind, label, List.of(), millis, 0, "", false, List.of(), List.of(), null);
        }

        private int sendableCode() {
            return switch (this.random.nextInt(4)) {
                case 0 ->
                    new int[] {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
                            [this.random.nextInt(12)];
                case 1 -> 3000 + this.random.nextInt(1000);
                default -> 4000 + this.random.nextInt(1000);
            };
        }

        /** A close reason of up to 123 bytes of UTF-8, sometimes with multi-byte characters. */
        private String reason() {
            String alphabet = "abcdefghij klmnop-é€κ";
            StringBuilder reason = new StringBuilder();
            int target = this.random.nextInt(4) == 0 ? 123 : this.random.nextInt(30);
            while (true) {
                char next = alphabet.charAt(this.random.nextInt(alphabet.length()));
                if ((reason.toString() + next).getBytes(StandardCharsets.UTF_8).length > target) {
                    return reason.toString();
                }
                reason.append(next);
            }
        }

        /** Valid UTF-8 of about {@code size} bytes, multi-byte characters included, never one of the backend's commands. */
        private byte[] text(int size) {
            if (size > 4096) {
                byte[] text = ascii(size);
                text[0] = '#';
                return text;
            }
            String alphabet = "abcxyz 0123456789µßöκόσμε€\uD834\uDD1E";
            StringBuilder text = new StringBuilder("#");
            int bytes = 1;
            while (bytes < size) {
                int index = this.random.nextInt(alphabet.length());
                String next = Character.isHighSurrogate(alphabet.charAt(index))
                        ? alphabet.substring(index, index + 2)
                        : Character.isLowSurrogate(alphabet.charAt(index)) ? "z" : alphabet.substring(index, index + 1);
                text.append(next);
                bytes += next.getBytes(StandardCharsets.UTF_8).length;
            }
            return size == 0 ? new byte[0] : text.toString().getBytes(StandardCharsets.UTF_8);
        }

        private byte[] ascii(int size) {
            byte[] ascii = new byte[size];
            for (int i = 0; i < size; i++) {
                ascii[i] = (byte) ('a' + this.random.nextInt(26));
            }
            return ascii;
        }

        private byte[] bytes(int size) {
            byte[] bytes = new byte[size];
            this.random.nextBytes(bytes);
            return bytes;
        }

        /** {@code count} + 1 ascending offsets from 0 to {@code size}. */
        private int[] cuts(int size, int count) {
            int[] cuts = new int[count + 1];
            for (int i = 1; i < count; i++) {
                cuts[i] = this.random.nextInt(size + 1);
            }
            cuts[count] = size;
            Arrays.sort(cuts, 1, count);
            return cuts;
        }

        private static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload) {
            return RawWebSocket.encode(fin, rsv, opcode, payload, true);
        }
    }

    /** The backend's answer to a ping (see ScriptedBackend). */
    static Message pong(Message ping) {
        byte[] prefix = ScriptedBackend.PONG_PREFIX.getBytes(StandardCharsets.UTF_8);
        byte[] payload = ping.payload().length + prefix.length > 125 ? ping.payload() : concat(prefix, ping.payload());
        return new Message(PONG, payload);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static String opcodeName(int opcode) {
        return switch (opcode) {
            case TEXT -> "text";
            case BINARY -> "binary";
            case PING -> "ping";
            case PONG -> "pong";
            case CLOSE -> "close";
            case CONTINUATION -> "continuation";
            default -> "opcode " + Integer.toHexString(opcode);
        };
    }

    /** A payload in a failure message: small ones in full, large ones by length and a hash. */
    static String describe(byte[] payload) {
        if (payload.length <= 24) {
            return payload.length + "B " + HexFormat.of().formatHex(payload);
        }
        return payload.length + "B #" + Integer.toHexString(Arrays.hashCode(payload));
    }
}
