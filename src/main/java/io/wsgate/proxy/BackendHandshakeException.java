package io.wsgate.proxy;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.wsgate.session.SessionLog;
import io.wsgate.vocabulary.RejectionReason;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;

/** A backend that did not complete the WebSocket handshake, with the answer the client gets for it. */
class BackendHandshakeException extends RuntimeException {

    private final transient HandshakeRejection rejection;

    private final RejectionReason reason;

    /** {@code detail} names the backend and goes to the log; the rejection's reason, for the client, does not. */
    private BackendHandshakeException(
            HandshakeRejection rejection, RejectionReason reason, String detail, Throwable cause) {
        super(detail, cause);
        this.rejection = rejection;
        this.reason = reason;
    }

    HandshakeRejection rejection() {
        return this.rejection;
    }

    RejectionReason reason() {
        return this.reason;
    }

    /**
     * Maps what went wrong to the client's status: the backend's own 4xx (and 503) with its headers, 502
     * for any other answer (a {@code 101} selecting a subprotocol not among {@code offered} included) or an
     * unreachable backend, 504 when it did not answer in time.
     */
    static BackendHandshakeException from(Throwable ex, URI backend, List<String> offered) {
        if (ex instanceof BackendHandshakeException handshake) {
            return handshake;
        }
        if (ex instanceof WebSocketClientHandshakeException refused && refused.response() != null) {
            if (refused.response().status().code() == HttpStatus.SWITCHING_PROTOCOLS.value()) {
                return invalidUpgrade(refused, backend, offered);
            }
            return refusedBy(refused.response(), backend, ex);
        }
        if (ex instanceof TimeoutException || ex instanceof ConnectTimeoutException) {
            return of(
                    HttpStatus.GATEWAY_TIMEOUT,
                    "The backend did not answer the WebSocket handshake in time",
                    RejectionReason.BACKEND_TIMEOUT,
                    backend,
                    "did not answer the WebSocket handshake in time",
                    ex);
        }
        SSLException tls = tlsFailure(ex);
        if (tls != null) {
            return of(
                    HttpStatus.BAD_GATEWAY,
                    "The backend's TLS handshake failed",
                    RejectionReason.BACKEND_TLS,
                    backend,
                    "failed the TLS handshake (is its certificate trusted? "
                            + "see spring.cloud.gateway.server.webflux.httpclient.ssl.*): " + tls.getMessage(),
                    ex);
        }
        return of(
                HttpStatus.BAD_GATEWAY,
                "The backend is unreachable",
                RejectionReason.BACKEND_UNREACHABLE,
                backend,
                "is unreachable: " + ex.getMessage(),
                ex);
    }

    /** A rejection with {@code status} and {@code forClient}; the log gets "Backend URI " + {@code detail}. */
    private static BackendHandshakeException of(
            HttpStatus status, String forClient, RejectionReason reason, URI backend, String detail, Throwable ex) {
        return new BackendHandshakeException(
                HandshakeRejection.of(status, forClient),
                reason,
                "Backend " + SessionLog.safe(backend) + " " + detail,
                ex);
    }

    /** The TLS error somewhere in the chain: Netty wraps it (a DecoderException, say) on its way out. */
    private static SSLException tlsFailure(Throwable ex) {
        for (Throwable current = ex; current != null; current = current.getCause()) {
            if (current instanceof SSLException tls) {
                return tls;
            }
            if (current.getCause() == current) {
                break;
            }
        }
        return null;
    }

    /**
     * A {@code 101} that Netty's handshaker refused: most often a subprotocol the client did not offer (Netty
     * checks that; see {@link BackendSubprotocol} for a backend that selects none), else e.g. a wrong
     * {@code Sec-WebSocket-Accept}. Either is the backend's error: 502.
     */
    private static BackendHandshakeException invalidUpgrade(
            WebSocketClientHandshakeException ex, URI backend, List<String> offered) {
        String selected = ex.response().headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (selected != null && !offered.contains(selected.trim())) {
            return of(
                    HttpStatus.BAD_GATEWAY,
                    "The backend selected a subprotocol the client did not offer",
                    RejectionReason.BACKEND_SUBPROTOCOL,
                    backend,
                    "selected subprotocol '" + selected.trim() + "', which the client did not offer (offered: "
                            + (offered.isEmpty() ? "none" : String.join(", ", offered)) + ")",
                    ex);
        }
        return of(
                HttpStatus.BAD_GATEWAY,
                "The backend's WebSocket handshake answer is invalid",
                RejectionReason.BACKEND_REFUSED,
                backend,
                "answered 101 with an invalid handshake: " + ex.getMessage(),
                ex);
    }

    private static BackendHandshakeException refusedBy(HttpResponse response, URI backend, Throwable ex) {
        int code = response.status().code();
        boolean passThrough = (code >= 400 && code < 500) || code == HttpStatus.SERVICE_UNAVAILABLE.value();
        HttpStatusCode status = passThrough ? HttpStatusCode.valueOf(code) : HttpStatus.BAD_GATEWAY;
        HttpHeaders headers = new HttpHeaders();
        if (passThrough) {
            for (Map.Entry<String, String> header : response.headers()) {
                headers.add(header.getKey(), header.getValue());
            }
        }
        return new BackendHandshakeException(
                new HandshakeRejection(status, "The backend refused the WebSocket handshake with " + code, headers),
                RejectionReason.BACKEND_REFUSED,
                "Backend " + SessionLog.safe(backend) + " refused the WebSocket handshake with " + code,
                ex);
    }
}
