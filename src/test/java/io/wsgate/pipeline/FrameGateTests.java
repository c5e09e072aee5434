package io.wsgate.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrameGateTests {

    @Test
    void findsTheFrameDecoderByItsType() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("before", new ChannelInboundHandlerAdapter());
        channel.pipeline().addLast("wsdecoder", frameDecoder());
        channel.pipeline().addLast("after", new ChannelInboundHandlerAdapter());

        assertThat(FrameGate.Decoders.of(channel.pipeline()))
                .isEqualTo(new FrameGate.Decoders("wsdecoder", "wsdecoder", false));
    }

    @Test
    void theLastDecoderIsTheExtensionDecoderWhenPermessageDeflateWasNegotiated() {
        EmbeddedChannel channel = new EmbeddedChannel();
        WebSocketExtensionDecoder inflater = inflater();
        channel.pipeline().addLast("wsdecoder", frameDecoder());
        channel.pipeline().addLast(inflater.getClass().getName(), inflater);
        channel.pipeline().addLast("after", new ChannelInboundHandlerAdapter());

        assertThat(FrameGate.Decoders.of(channel.pipeline()))
                .isEqualTo(
                        new FrameGate.Decoders("wsdecoder", inflater.getClass().getName(), true));
    }

    @Test
    void aPipelineWithoutAWebSocketDecoderHasNone() {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        assertThat(FrameGate.Decoders.of(channel.pipeline())).isNull();
    }

    @Test
    void isAddedRightAfterTheFrameDecoderBeforeTheInflater() {
        EmbeddedChannel channel = new EmbeddedChannel();
        WebSocketExtensionDecoder inflater = inflater();
        channel.pipeline().addLast("wsdecoder", frameDecoder());
        channel.pipeline().addLast("inflater", inflater);

        FrameGate gate = FrameGate.addAfter(channel.pipeline(), "wsdecoder", "gate");

        assertThat(channel.pipeline().names()).containsSubsequence("wsdecoder", "gate", "inflater");
        assertThat(channel.pipeline().get("gate")).isSameAs(gate);
    }

    @Test
    void anOpenGatePassesEveryFrame() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameGate());
        List<WebSocketFrame> frames = List.of(
                new TextWebSocketFrame("a"),
                new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})),
                new ContinuationWebSocketFrame(true, 0, "b"),
                new PingWebSocketFrame(),
                new CloseWebSocketFrame(1000, "bye"));
        for (WebSocketFrame frame : frames) {
            channel.writeInbound(frame);
            assertThat((Object) channel.readInbound()).isSameAs(frame);
            frame.release();
        }
    }

    @Test
    void aShutGateDropsAndReleasesAllButCloseFrames() {
        FrameGate gate = new FrameGate();
        EmbeddedChannel channel = new EmbeddedChannel(gate);
        gate.shut();
        List<WebSocketFrame> dropped = List.of(
                new TextWebSocketFrame("a"),
                new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})),
                new ContinuationWebSocketFrame(true, 0, "b"),
                new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {2})));
        for (WebSocketFrame frame : dropped) {
            channel.writeInbound(frame);
            assertThat((Object) channel.readInbound()).isNull();
            assertThat(frame.refCnt()).as("%s released", frame).isZero();
        }
        CloseWebSocketFrame close = new CloseWebSocketFrame(1000, "bye");
        channel.writeInbound(close);
        assertThat((Object) channel.readInbound()).isSameAs(close);
        close.release();
        assertThat(channel.finish()).isFalse();
    }

    private static WebSocket13FrameDecoder frameDecoder() {
        return new WebSocket13FrameDecoder(
                WebSocketDecoderConfig.newBuilder().expectMaskedFrames(true).build());
    }

    /** Netty's permessage-deflate decoder, as the server's extension handler adds it. */
    static WebSocketExtensionDecoder inflater() {
        return new PerMessageDeflateServerExtensionHandshaker()
                .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()))
                .newExtensionDecoder();
    }
}
