package io.wsgate.admission;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.ProtocolDetectionState;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.ProxyProtocolSupportType;

/**
 * Keeps the PROXY protocol to {@code wsgate.forwarded.trusted-proxies}: otherwise any peer that reaches the port
 * (any pod in the cluster) could send {@code PROXY TCP4 6.6.6.6 ...} and be believed. For a connection whose TCP
 * peer is not trusted, Reactor Netty's PROXY decoder is taken out of the pipeline: with {@code on} the connection
 * is closed at once (only the load balancers may connect); with {@code auto} it is served with the TCP peer as the
 * client, unless it starts with a PROXY header (v1 or v2), which closes it. Either way a WARN line names the peer,
 * at most once a minute (a flood must not become a log flood; the others at DEBUG).
 */
final class ProxyProtocolTrust {

    private static final Logger logger = LoggerFactory.getLogger(ProxyProtocolTrust.class);

    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ProxyProtocolSupportType mode;

    private final ClientAddressResolver trust;

    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

    ProxyProtocolTrust(ProxyProtocolSupportType mode, ClientAddressResolver trust) {
        this.mode = mode;
        this.trust = trust;
    }

    /** Applies the rule to a new connection of the traffic server, after Reactor Netty set up its pipeline. */
    void apply(Channel channel) {
        if (this.mode == ProxyProtocolSupportType.OFF
                || channel.pipeline().get(NettyPipeline.ProxyProtocolDecoder) == null
                || (channel.remoteAddress() instanceof InetSocketAddress peer && this.trust.isTrusted(peer))) {
            return;
        }
        if (this.mode == ProxyProtocolSupportType.ON) {
            refuse(channel, "the PROXY protocol is on, so only wsgate.forwarded.trusted-proxies may connect");
            channel.close();
            return;
        }
        channel.pipeline()
                .replace(NettyPipeline.ProxyProtocolDecoder, NettyPipeline.ProxyProtocolDecoder, new Detector());
    }

    private void refuse(Channel channel, String why) {
        long now = System.nanoTime();
        long last = this.lastWarning.get();
        if (now - last >= WARN_EVERY_NANOS && this.lastWarning.compareAndSet(last, now)) {
            logger.warn("Closed the connection from untrusted peer {}: {}", channel.remoteAddress(), why);
        } else {
            logger.debug("Closed the connection from untrusted peer {}: {}", channel.remoteAddress(), why);
        }
    }

    /** With {@code auto}, for an untrusted peer: a PROXY header closes the connection, anything else goes on. */
    private final class Detector extends ByteToMessageDecoder {

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            ProtocolDetectionResult<HAProxyProtocolVersion> detected = HAProxyMessageDecoder.detectProtocol(in);
            if (detected.state() == ProtocolDetectionState.NEEDS_MORE_DATA) {
                return;
            }
            if (detected.state() == ProtocolDetectionState.INVALID) {
                // Plain HTTP from the peer itself; the bytes read so far are passed on as this handler leaves.
                ctx.pipeline().remove(this);
                return;
            }
            in.skipBytes(in.readableBytes());
            refuse(ctx.channel(), "a PROXY header is only accepted from wsgate.forwarded.trusted-proxies");
            ctx.close();
        }
    }
}
