package io.wsgate.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8FrameCheckTests {

    /** Sequences RFC 3629 forbids: overlong forms, surrogates, above U+10FFFF, stray and truncated bytes. */
    private static final List<String> INVALID = List.of(
            "c080",
            "c1bf",
            "e08080",
            "e09fbf",
            "eda080",
            "edbfbf",
            "f08f8080",
            "f4908080",
            "f5808080",
            "ff",
            "80",
            "bf",
            "c3",
            "e282",
            "f09f98",
            "c328",
            "e228a1");

    /** Sequences of every length, at the edges of their ranges. */
    private static final List<String> VALID = List.of(
            "7f", "c280", "dfbf", "e0a080", "ed9fbf", "ee8080", "efbfbf", "f0908080", "f48fbfbf", "e282ac", "f09f9880");

    @Test
    void agreesWithTheJdkDecoderWhereverTheSequenceSitsAroundTheEightByteRuns() {
        for (String hex : concat(INVALID, VALID)) {
            byte[] sequence = HexFormat.of().parseHex(hex);
            for (int before = 0; before <= 17; before++) {
                for (int after : new int[] {0, 1, 9}) {
                    byte[] bytes = new byte[before + sequence.length + after];
                    java.util.Arrays.fill(bytes, (byte) 'a');
                    System.arraycopy(sequence, 0, bytes, before, sequence.length);
                    assertThat(Utf8FrameCheck.isUtf8(Unpooled.wrappedBuffer(bytes)))
                            .as("%s after %d ASCII bytes, %d after", hex, before, after)
                            .isEqualTo(jdkAccepts(bytes));
                }
            }
        }
    }

    @Test
    void agreesWithTheJdkDecoderOnRandomText() {
        Random random = new Random(6455);
        String alphabet = "hello, martian!! é ü € 𝄞 中文 ";
        for (int i = 0; i < 2_000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(200);
            while (text.length() < length) {
                text.appendCodePoint(alphabet.codePointAt(
                        alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            if (i % 2 == 1 && bytes.length > 0) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            assertThat(Utf8FrameCheck.isUtf8(Unpooled.wrappedBuffer(bytes)))
                    .as(HexFormat.of().formatHex(bytes))
                    .isEqualTo(jdkAccepts(bytes));
        }
    }

    @Test
    void checksOnlyTheReadableBytes() {
        ByteBuf buffer = Unpooled.wrappedBuffer(HexFormat.of().parseHex("ff616263646566676869c3a9ff"));
        assertThat(Utf8FrameCheck.isUtf8(buffer.slice(1, 11))).isTrue();
        buffer.readerIndex(1).writerIndex(12);
        assertThat(Utf8FrameCheck.isUtf8(buffer)).isTrue();
        buffer.writerIndex(13);
        assertThat(Utf8FrameCheck.isUtf8(buffer)).isFalse();
    }

    @Test
    void passesValidMessagesWholeOrFragmentedAndFailsInvalidOnesWithNettysError() {
        EmbeddedChannel channel = new EmbeddedChannel(new Utf8FrameCheck());
        assertPassed(channel, new TextWebSocketFrame("hello, martian!!!! é€𝄞"));
        // A character split across fragments takes Netty's path, which keeps the state between them.
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        assertPassed(channel, new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {'a', euro[0]})));
        assertPassed(channel, new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {
            euro[1], euro[2]
        })));

        TextWebSocketFrame invalid =
                new TextWebSocketFrame(Unpooled.wrappedBuffer(HexFormat.of().parseHex("6162636465666768eda080")));
        assertThatThrownBy(() -> {
                    channel.writeInbound(invalid);
                    channel.checkException();
                })
                .isInstanceOf(CorruptedWebSocketFrameException.class);
        assertThat((Object) channel.readInbound()).isNull();
    }

    private static void assertPassed(EmbeddedChannel channel, WebSocketFrame frame) {
        channel.writeInbound(frame);
        channel.checkException();
        WebSocketFrame passed = channel.readInbound();
        assertThat(passed).isSameAs(frame);
        passed.release();
    }

    private static boolean jdkAccepts(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException ex) {
            return false;
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
