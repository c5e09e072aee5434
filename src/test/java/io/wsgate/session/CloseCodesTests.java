package io.wsgate.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.web.reactive.socket.CloseStatus;

class CloseCodesTests {

    @ParameterizedTest
    @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999})
    void passesASendableCodeWithItsReason(int code) {
        CloseStatus received = new CloseStatus(code, "why " + code);
        assertThat(CloseCodes.relayed(received, CloseCodes.BACKEND_LOST)).isEqualTo(received);
    }

    @Test
    void aLegLostWithoutACloseFrameGivesTheFallback() {
        assertThat(CloseCodes.relayed(null, CloseCodes.BACKEND_LOST)).isEqualTo(CloseCodes.BACKEND_LOST);
        assertThat(CloseCodes.relayed(CloseStatus.NO_CLOSE_FRAME, CloseCodes.CLIENT_LOST))
                .isEqualTo(CloseCodes.CLIENT_LOST);
    }

    @Test
    void anEmptyCloseFrameIsANormalClose() {
        assertThat(CloseCodes.relayed(CloseStatus.NO_STATUS_CODE, CloseCodes.BACKEND_LOST))
                .isEqualTo(CloseStatus.NORMAL);
    }

    @ParameterizedTest
    @ValueSource(ints = {1004, 1015, 1016, 2999})
    void aCodeNoPeerMaySendBecomesAProtocolError(int code) {
        assertThat(CloseCodes.relayed(new CloseStatus(code), CloseCodes.BACKEND_LOST))
                .isEqualTo(CloseStatus.PROTOCOL_ERROR);
    }

    @Test
    void aClientFailedByTheGatewayIsReportedToTheBackendAsGoneWithTheErrorInTheReason() {
        CloseStatus toBackend = CloseCodes.clientFailed(new CloseStatus(1007, "bytes are not UTF-8"));
        assertThat(toBackend.getCode()).isEqualTo(1001);
        assertThat(toBackend.getReason()).isEqualTo("client failed with 1007: bytes are not UTF-8");
    }

    @Test
    void aPeerThatClosedGetsItsOwnCodeBackAndNeverOneThatOnlyDescribesAMissingFrame() {
        assertThat(CloseCodes.echoed(new CloseStatus(4000, "bye"))).isEqualTo(new CloseStatus(4000, "bye"));
        assertThat(CloseCodes.echoed(CloseStatus.NO_STATUS_CODE)).isEqualTo(CloseStatus.NORMAL);
        assertThat(CloseCodes.echoed(new CloseStatus(1015))).isEqualTo(CloseStatus.PROTOCOL_ERROR);
    }

    @Test
    void aReasonIsCutToWhatFitsACloseFrame() {
        String reason = CloseCodes.fit("é".repeat(100));
        assertThat(reason.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(123);
        assertThat(reason).isEqualTo("é".repeat(61));
    }
}
