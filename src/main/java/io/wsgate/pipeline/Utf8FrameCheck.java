package io.wsgate.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import java.nio.charset.StandardCharsets;

/**
 * Netty's UTF-8 validation of the client's text messages, with a fast path for the common case of a whole message
 * in one frame. Netty's validator walks every byte through a {@code ByteProcessor}: that was half of the gateway's
 * CPU when relaying 16 KiB text messages (docs/benchmark.md, "Profile"). Here a run of ASCII is checked eight bytes
 * at a time and only the rest of the frame goes through Netty's UTF-8 check. Fragmented messages, and a frame
 * that fails the fast check, take Netty's own path, which carries the state across fragments and reports the
 * failure (1007).
 */
final class Utf8FrameCheck extends Utf8FrameValidator {

    private static final long NON_ASCII_BITS = 0x8080808080808080L;

    Utf8FrameCheck() {
        // Violations go to the next handler (FrameCheck), which closes with 1007.
        super(false);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        // Netty's decoder lets no text frame through while a fragmented message is open, so a final text frame
        // is a whole message and Netty's validator holds no state for it.
        if (msg instanceof TextWebSocketFrame frame && frame.isFinalFragment() && isUtf8(frame.content())) {
            ctx.fireChannelRead(msg);
            return;
        }
        super.channelRead(ctx, msg);
    }

    /** Whether the readable bytes of {@code buffer} are well-formed UTF-8 (RFC 3629, as Netty checks it). */
    static boolean isUtf8(ByteBuf buffer) {
        int index = buffer.readerIndex();
        int end = buffer.writerIndex();
        // An ASCII byte is a whole character, so the check can go on from any byte after a run of them.
        while (end - index >= Long.BYTES && (buffer.getLong(index) & NON_ASCII_BITS) == 0) {
            index += Long.BYTES;
        }
        return ByteBufUtil.isText(buffer, index, end - index, StandardCharsets.UTF_8);
    }
}
