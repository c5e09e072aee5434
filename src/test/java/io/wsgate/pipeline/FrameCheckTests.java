package io.wsgate.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.EmptyByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateClientExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.util.ReferenceCountUtil;
import io.wsgate.vocabulary.Leg;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.web.reactive.socket.CloseStatus;

/**
 * {@link FrameCheck} on a pipeline as Reactor Netty leaves it after an upgrade: real frame bytes, masked as a client
 * sends them or unmasked as a backend does, into Netty's WebSocket frame decoder (and permessage-deflate's decoder
 * where negotiated). A probe right after the frame decoder keeps every decoded frame, so each test also shows that
 * every frame the gateway did not pass on was released.
 */
class FrameCheckTests {

    private static final int LIMIT = 1024;

    /** Reactor Netty's name for the server's decoder; the check finds it by its type. */
    private static final String SERVER_DECODER = "wsdecoder";

    /** Reactor Netty's name for the client's decoder. */
    private static final String CLIENT_DECODER = "ws-decoder";

    private final List<CloseStatus> failures = new ArrayList<>();

    private final List<WebSocketFrame> decoded = new ArrayList<>();

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    /** The caps' clock, standing still: every ping and pong falls in one window. */
    private long now;

    @AfterEach
    void theCheckClosedNothingAndReleasedEveryFrameItDropped() {
        for (EmbeddedChannel channel : this.channels) {
            // Closing is the session's: the check writes nothing and closes nothing on its own.
            assertThat(channel.outboundMessages()).as("written by the check").isEmpty();
            assertThat(channel.isOpen()).as("connection open").isTrue();
            channel.finishAndReleaseAll();
        }
        for (WebSocketFrame frame : this.decoded) {
            // Netty's shared empty payload is never counted down.
            if (frame.refCnt() != 0 && !(frame.content() instanceof EmptyByteBuf)) {
                throw new AssertionError(frame + " was neither passed on nor released");
            }
        }
    }

    // Both legs.

    @ParameterizedTest
    @EnumSource(Leg.class)
    void passesAFragmentedMessageOfExactlyTheLimit(Leg leg) {
        EmbeddedChannel channel = open(leg, new FrameCaps(0, 0));
        channel.writeInbound(sent(
                leg,
                new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[LIMIT / 2])),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[LIMIT / 2])),
                new TextWebSocketFrame("x".repeat(LIMIT))));

        release(passed(channel, 3));
        assertThat(this.failures).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Leg.class)
    void failsAMessageOverTheLimitInOneFrameWith1009(Leg leg) {
        EmbeddedChannel channel = open(leg, new FrameCaps(0, 0));
        channel.writeInbound(sent(leg, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[LIMIT + 1]))));

        assertFailedOnceWith(1009);
        assertThat(passed(channel)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Leg.class)
    void failsAMessageOverTheLimitAcrossFragmentsWith1009(Leg leg) {
        EmbeddedChannel channel = open(leg, new FrameCaps(0, 0));
        channel.writeInbound(sent(
                leg,
                new TextWebSocketFrame(false, 0, "a".repeat(LIMIT / 2)),
                new ContinuationWebSocketFrame(false, 0, "b".repeat(LIMIT / 2)),
                new ContinuationWebSocketFrame(true, 0, "c")));

        assertFailedOnceWith(1009);
        assertThat(this.failures.get(0).getReason()).isEqualTo("message larger than 1024 bytes");
        release(passed(channel, 2));
    }

    @ParameterizedTest
    @EnumSource(Leg.class)
    void failsMoreFragmentsThanTheCapWith1008(Leg leg) {
        EmbeddedChannel channel = open(leg, new FrameCaps(3, 0));
        channel.writeInbound(sent(
                leg,
                new TextWebSocketFrame(false, 0, "a"),
                new ContinuationWebSocketFrame(false, 0, "b"),
                new ContinuationWebSocketFrame(false, 0, "c"),
                new ContinuationWebSocketFrame(true, 0, "d")));

        assertFailedOnceWith(1008);
        release(passed(channel, 3));
    }

    @ParameterizedTest
    @EnumSource(Leg.class)
    void failsMoreControlFramesPerSecondThanTheCapWith1008(Leg leg) {
        EmbeddedChannel channel = open(leg, new FrameCaps(0, 3, () -> this.now));
        channel.writeInbound(sent(leg, new PingWebSocketFrame(), new PongWebSocketFrame(), new PingWebSocketFrame()));
        assertThat(this.failures).isEmpty();
        channel.writeInbound(sent(leg, new PingWebSocketFrame()));

        assertFailedOnceWith(1008);
        release(passed(channel, 3));
    }

    // The client leg.

    @Test
    void passesValidTextBinaryAndControlFrames() {
        EmbeddedChannel client = client(new FrameCaps(0, 0));
        client.writeInbound(masked(
                new TextWebSocketFrame("hello, martian é€𝄞"),
                new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0, (byte) 0xff, 1})),
                new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {7})),
                new PongWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {8}))));

        List<WebSocketFrame> passed = passed(client);
        assertThat(passed)
                .extracting(frame -> frame.getClass().getSimpleName())
                .containsExactly(
                        "TextWebSocketFrame", "BinaryWebSocketFrame", "PingWebSocketFrame", "PongWebSocketFrame");
        assertThat(((TextWebSocketFrame) passed.get(0)).text()).isEqualTo("hello, martian é€𝄞");
        assertThat(bytes(passed.get(1))).containsExactly(0, 0xff, 1);
        release(passed);
        assertThat(this.failures).isEmpty();
    }

    /** What a client may not send, and the close code it gets for it. */
    static Stream<Arguments> clientViolations() {
        Stream<Arguments> rows = Stream.of(
                arguments(
                        "invalid UTF-8",
                        masked(new TextWebSocketFrame(Unpooled.wrappedBuffer(hex("6162eda080")))),
                        1007),
                arguments("invalid UTF-8 in a close reason", masked(closeFrame(1000, hex("61ff"))), 1007),
                arguments(
                        "reserved bits without an extension",
                        masked(new BinaryWebSocketFrame(true, 4, Unpooled.wrappedBuffer(new byte[] {1}))),
                        1002),
                arguments("an unmasked frame", unmasked(new TextWebSocketFrame("not masked")), 1002),
                arguments(
                        "a close frame of one byte",
                        masked(new CloseWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {3}))),
                        1002));
        // Close codes no endpoint may send: some Netty's decoder refuses, the rest (5000 and up) the check.
        Stream<Arguments> closeCodes = IntStream.of(999, 1004, 1005, 1006, 1015, 2999, 5000, 65535)
                .mapToObj(code -> arguments(
                        "close code " + code, masked(closeFrame(code, "bye".getBytes(StandardCharsets.UTF_8))), 1002));
        return Stream.concat(rows, closeCodes);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("clientViolations")
    void failsAClientThatBreaksTheProtocolWithItsCloseCode(String what, ByteBuf bytes, int code) {
        EmbeddedChannel client = client(new FrameCaps(0, 0));
        client.writeInbound(bytes);

        assertFailedOnceWith(code);
        assertThat(passed(client)).isEmpty();
    }

    @Test
    void failsInvalidUtf8SplitAcrossFragmentsWith1007() {
        EmbeddedChannel client = client(new FrameCaps(0, 0));
        // A lead byte of a three-byte character, then a continuation that is not one.
        client.writeInbound(masked(
                new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(hex("61e2"))),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(hex("2861")))));

        assertFailedOnceWith(1007);
        release(passed(client));
    }

    @Test
    void passesAnEmptyCloseFrameAndOneWithASendableCode() {
        for (CloseWebSocketFrame close : List.of(
                new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER), new CloseWebSocketFrame(4999, "bye"))) {
            int code = close.statusCode();
            EmbeddedChannel client = client(new FrameCaps(0, 0));
            client.writeInbound(masked(close));
            assertThat(passed(client, 1)).allSatisfy(passed -> {
                assertThat(((CloseWebSocketFrame) passed).statusCode()).isEqualTo(code);
                passed.release();
            });
        }
        assertThat(this.failures).isEmpty();
    }

    @Test
    void afterAFailureDropsEveryFrameButTheClientsCloseFrameAndReportsOnce() {
        EmbeddedChannel client = client(new FrameCaps(2, 0));
        client.writeInbound(masked(
                new TextWebSocketFrame(false, 0, "a"),
                new ContinuationWebSocketFrame(false, 0, "b"),
                new ContinuationWebSocketFrame(false, 0, "c")));
        assertFailedOnceWith(1008);
        release(passed(client, 2));

        // More of everything, the client's answer to the gateway's close, then a second violation (the decoder's).
        client.writeInbound(masked(
                new ContinuationWebSocketFrame(true, 0, "d"),
                new TextWebSocketFrame(Unpooled.wrappedBuffer(hex("ff"))),
                new PingWebSocketFrame(),
                new CloseWebSocketFrame(1008, "ok"),
                new BinaryWebSocketFrame(true, 4, Unpooled.wrappedBuffer(new byte[] {1}))));

        List<WebSocketFrame> passed = passed(client, 1);
        assertThat(((CloseWebSocketFrame) passed.get(0)).statusCode()).isEqualTo(1008);
        release(passed);
        assertThat(this.failures).hasSize(1);
    }

    @Test
    void replacesTheClientsDecoderAndChecksBehindTheLastDecoder() {
        EmbeddedChannel client = client(new FrameCaps(0, 0));

        assertThat(client.pipeline().get(SERVER_DECODER)).isNull();
        assertThat(client.pipeline().names())
                .containsSubsequence(
                        "wsgate.wsdecoder", "probe", "wsgate.framegate", "wsgate.utf8", "wsgate.framecheck");
    }

    // The backend leg.

    @Test
    void isInstalledOnTheBackendsEventLoop() {
        EmbeddedChannel backend = new EmbeddedChannel();
        backend.pipeline().addLast(CLIENT_DECODER, backendDecoder());
        FrameCheck.installOnBackend(backend, LIMIT, new FrameCaps(0, 0), this.failures::add);
        assertThat(backend.pipeline().get("wsgate.backend.framecheck")).isNull();

        backend.runPendingTasks();

        assertThat(backend.pipeline().names())
                .containsSubsequence(CLIENT_DECODER, "wsgate.backend.framegate", "wsgate.backend.framecheck");
        assertThat(backend.pipeline().get(CLIENT_DECODER)).isInstanceOf(WebSocket13FrameDecoder.class);
        backend.finishAndReleaseAll();
    }

    @Test
    void isNotInstalledOnABackendConnectionClosedBeforeItsEventLoopGotTo() {
        EmbeddedChannel backend = new EmbeddedChannel();
        backend.pipeline().addLast(CLIENT_DECODER, backendDecoder());
        FrameCheck.installOnBackend(backend, LIMIT, new FrameCaps(0, 0), this.failures::add);
        backend.close();

        backend.runPendingTasks();

        assertThat(backend.pipeline().get("wsgate.backend.framecheck")).isNull();
    }

    @Test
    void passesTheBackendsFramesAndItsCloseCodesAsTheyAre() {
        EmbeddedChannel backend = backend(new FrameCaps(0, 0));
        backend.writeInbound(unmasked(
                new TextWebSocketFrame("x".repeat(LIMIT)),
                new BinaryWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {1})),
                new PingWebSocketFrame(),
                closeFrame(5000, new byte[0])));

        List<WebSocketFrame> passed = passed(backend, 4);
        // A close code no endpoint may send is the backend's business: the session relays it as 1002.
        assertThat(((CloseWebSocketFrame) passed.get(3)).statusCode()).isEqualTo(5000);
        release(passed);
        assertThat(this.failures).isEmpty();
    }

    @Test
    void afterABackendsFailureDropsEveryFrameItsCloseFrameToo() {
        EmbeddedChannel backend = backend(new FrameCaps(1, 0));
        backend.writeInbound(unmasked(
                new TextWebSocketFrame(false, 0, "a"),
                new ContinuationWebSocketFrame(true, 0, "b"),
                new TextWebSocketFrame("c"),
                new CloseWebSocketFrame(1000, "bye")));

        assertFailedOnceWith(1008);
        release(passed(backend, 1));
    }

    @Test
    void leavesTheBackendsDecoderErrorsToReactorNetty() {
        EmbeddedChannel backend = backend(new FrameCaps(0, 0));
        backend.pipeline()
                .fireExceptionCaught(
                        new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, "bad frame"));

        assertThatThrownBy(backend::checkException).isInstanceOf(CorruptedWebSocketFrameException.class);
        assertThat(this.failures).isEmpty();
    }

    // permessage-deflate on the client leg.

    @Test
    void passesACompressedMessageInflated() {
        EmbeddedChannel client = compressedClient();
        client.writeInbound(compressed(new TextWebSocketFrame("hello, compressed martian ".repeat(10))));

        List<WebSocketFrame> passed = passed(client, 1);
        assertThat(((TextWebSocketFrame) passed.get(0)).text()).isEqualTo("hello, compressed martian ".repeat(10));
        release(passed);
        assertThat(this.failures).isEmpty();
    }

    @Test
    void checksTheInflatedMessageBehindTheInflaterAndGatesItBeforeIt() {
        EmbeddedChannel client = compressedClient();

        assertThat(client.pipeline().names())
                .containsSubsequence(
                        "wsgate.wsdecoder",
                        "probe",
                        "wsgate.framegate",
                        inflater(LIMIT + 1).getClass().getName(),
                        "wsgate.utf8",
                        "wsgate.framecheck");
    }

    @Test
    void failsASmallFrameThatInflatesPastTheLimitWith1009WithoutInflatingIt() {
        int limit = 64 * 1024;
        EmbeddedChannel client = compressedClient(limit);
        // 32 MiB of zeros in a frame under the limit.
        ByteBuf frame = deflatedZeros(32 << 20);
        assertThat(frame.readableBytes()).isLessThan(limit);

        long before = allocatedByThisThread();
        client.writeInbound(frame);
        long allocated = allocatedByThisThread() - before;

        assertFailedOnceWith(1009);
        assertThat(this.failures.get(0).getReason()).isEqualTo("compressed message inflates past the size limit");
        assertThat(passed(client)).isEmpty();
        // Netty's inflater stops at the limit plus one byte; inflating the whole frame would take 32 MiB.
        assertThat(allocated).isLessThan(8L << 20);
    }

    @Test
    void failsDataThatIsNotDeflateWith1002() {
        EmbeddedChannel client = compressedClient();
        byte[] garbage = new byte[64];
        Arrays.fill(garbage, (byte) 0xff);
        client.writeInbound(masked(new BinaryWebSocketFrame(true, 4, Unpooled.wrappedBuffer(garbage))));

        assertFailedOnceWith(1002);
        assertThat(this.failures.get(0).getReason()).isEqualTo("invalid permessage-deflate data");
        assertThat(passed(client)).isEmpty();
    }

    @Test
    void afterACompressedFailureDropsTheNextFramesBeforeTheyAreInflated() {
        EmbeddedChannel client = compressedClient();
        List<Object> toInflater = new ArrayList<>();
        client.pipeline().addAfter("wsgate.framegate", "inflater's view", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                toInflater.add(msg.getClass().getSimpleName());
                ctx.fireChannelRead(msg);
            }
        });
        client.writeInbound(deflatedZeros(LIMIT + 1));
        assertFailedOnceWith(1009);

        client.writeInbound(compressed(new TextWebSocketFrame("more")));
        client.writeInbound(masked(new CloseWebSocketFrame(1009, "ok")));

        assertThat(toInflater).containsExactly("BinaryWebSocketFrame", "CloseWebSocketFrame");
        List<WebSocketFrame> passed = passed(client, 1);
        assertThat(passed.get(0)).isInstanceOf(CloseWebSocketFrame.class);
        release(passed);
        assertThat(this.failures).hasSize(1);
    }

    // The pipelines, as Reactor Netty leaves them.

    private EmbeddedChannel client(FrameCaps caps) {
        // Reactor Netty's server decoder: extensions allowed, no UTF-8 validation; the check replaces it.
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline()
                .addLast(
                        SERVER_DECODER,
                        new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                                .expectMaskedFrames(true)
                                .allowExtensions(true)
                                .maxFramePayloadLength(65536)
                                .build()));
        FrameCheck.installOnClient(channel, LIMIT, caps, this.failures::add);
        return probed(channel);
    }

    private EmbeddedChannel open(Leg leg, FrameCaps caps) {
        return leg == Leg.CLIENT ? client(caps) : backend(caps);
    }

    private EmbeddedChannel compressedClient() {
        return compressedClient(LIMIT);
    }

    private EmbeddedChannel compressedClient(int limit) {
        EmbeddedChannel channel = new EmbeddedChannel();
        WebSocketExtensionDecoder inflater = inflater(limit + 1);
        channel.pipeline()
                .addLast(
                        SERVER_DECODER,
                        new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                                .expectMaskedFrames(true)
                                .allowExtensions(true)
                                .build()));
        // Where Netty's extension handler puts it, under its class name.
        channel.pipeline().addLast(inflater.getClass().getName(), inflater);
        FrameCheck.installOnClient(channel, limit, new FrameCaps(0, 0), this.failures::add);
        return probed(channel);
    }

    private EmbeddedChannel backend(FrameCaps caps) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(CLIENT_DECODER, backendDecoder());
        FrameCheck.installOnBackend(channel, LIMIT, caps, this.failures::add);
        channel.runPendingTasks();
        return probed(channel);
    }

    /** Reactor Netty's client decoder: unmasked frames, its own frame limit (the gateway's is lower). */
    private static WebSocket13FrameDecoder backendDecoder() {
        return new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false)
                .maxFramePayloadLength(65536)
                .build());
    }

    /**
     * permessage-deflate's decoder as {@code proxy/PerMessageDeflate} configures it: the route's limit plus one byte.
     */
    private static WebSocketExtensionDecoder inflater(int maxAllocation) {
        return new PerMessageDeflateServerExtensionHandshaker(6, true, 15, false, false, maxAllocation)
                .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()))
                .newExtensionDecoder();
    }

    private EmbeddedChannel probed(EmbeddedChannel channel) {
        FrameGate.Decoders decoders = FrameGate.Decoders.of(channel.pipeline());
        channel.pipeline().addAfter(decoders.frames(), "probe", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof WebSocketFrame frame) {
                    FrameCheckTests.this.decoded.add(frame);
                }
                ctx.fireChannelRead(msg);
            }
        });
        this.channels.add(channel);
        return channel;
    }

    // Frames as the peers send them.

    private static ByteBuf masked(WebSocketFrame... frames) {
        return encode(new EmbeddedChannel(new WebSocket13FrameEncoder(true)), frames);
    }

    /** As the peer of {@code leg} sends them: a client masks its frames, a backend does not. */
    private static ByteBuf sent(Leg leg, WebSocketFrame... frames) {
        return leg == Leg.CLIENT ? masked(frames) : unmasked(frames);
    }

    private static ByteBuf unmasked(WebSocketFrame... frames) {
        return encode(new EmbeddedChannel(new WebSocket13FrameEncoder(false)), frames);
    }

    /** Compressed as a client that negotiated permessage-deflate sends them. */
    private static ByteBuf compressed(WebSocketFrame... frames) {
        WebSocketExtensionEncoder deflater = new PerMessageDeflateClientExtensionHandshaker()
                .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()))
                .newExtensionEncoder();
        return encode(new EmbeddedChannel(new WebSocket13FrameEncoder(true), deflater), frames);
    }

    private static ByteBuf encode(EmbeddedChannel peer, WebSocketFrame... frames) {
        ByteBuf bytes = Unpooled.buffer();
        for (WebSocketFrame frame : frames) {
            peer.writeOutbound(frame);
            for (ByteBuf part = peer.readOutbound(); part != null; part = peer.readOutbound()) {
                bytes.writeBytes(part);
                part.release();
            }
        }
        peer.finishAndReleaseAll();
        return bytes;
    }

    /**
     * One masked binary frame with {@code size} zero bytes deflated (raw deflate, flushed, without the tail the
     * receiver adds back), made without holding the inflated bytes.
     */
    private static ByteBuf deflatedZeros(int size) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] zeros = new byte[64 * 1024];
        byte[] out = new byte[64 * 1024];
        ByteBuf deflated = Unpooled.buffer();
        for (int left = size; left > 0; left -= zeros.length) {
            deflater.setInput(zeros, 0, Math.min(left, zeros.length));
            while (!deflater.needsInput()) {
                deflated.writeBytes(out, 0, deflater.deflate(out, 0, out.length, Deflater.NO_FLUSH));
            }
        }
        int written;
        do {
            written = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
            deflated.writeBytes(out, 0, written);
        } while (written == out.length);
        deflater.end();
        deflated.writerIndex(deflated.writerIndex() - 4);
        return masked(new BinaryWebSocketFrame(true, 4, deflated));
    }

    /** A close frame with any code, also those Netty's constructors refuse. */
    private static CloseWebSocketFrame closeFrame(int code, byte[] reason) {
        return new CloseWebSocketFrame(
                true, 0, Unpooled.buffer().writeShort(code).writeBytes(reason));
    }

    private static List<WebSocketFrame> passed(EmbeddedChannel channel) {
        List<WebSocketFrame> passed = new ArrayList<>();
        for (Object msg = channel.readInbound(); msg != null; msg = channel.readInbound()) {
            passed.add((WebSocketFrame) msg);
        }
        return passed;
    }

    private static List<WebSocketFrame> passed(EmbeddedChannel channel, int count) {
        List<WebSocketFrame> passed = passed(channel);
        assertThat(passed).hasSize(count);
        return passed;
    }

    private static void release(List<WebSocketFrame> frames) {
        frames.forEach(ReferenceCountUtil::release);
    }

    private void assertFailedOnceWith(int code) {
        assertThat(this.failures).extracting(CloseStatus::getCode).containsExactly(code);
    }

    private static int[] bytes(WebSocketFrame frame) {
        ByteBuf content = frame.content();
        int[] bytes = new int[content.readableBytes()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = content.getUnsignedByte(content.readerIndex() + i);
        }
        return bytes;
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static long allocatedByThisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
