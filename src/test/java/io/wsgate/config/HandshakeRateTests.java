package io.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HandshakeRateTests {

    @Test
    void parsesTokensPerPeriodWithOrWithoutANumberBeforeTheUnit() {
        assertThat(HandshakeRate.parse("20/s")).isEqualTo(new HandshakeRate(20, Duration.ofSeconds(1)));
        assertThat(HandshakeRate.parse(" 100 / 1m ")).isEqualTo(new HandshakeRate(100, Duration.ofMinutes(1)));
        assertThat(HandshakeRate.parse("5/500ms")).isEqualTo(new HandshakeRate(5, Duration.ofMillis(500)));
        assertThat(HandshakeRate.parse("2/1H")).isEqualTo(new HandshakeRate(2, Duration.ofHours(1)));
    }

    @Test
    void emptyOffAndZeroMeanNoLimit() {
        assertThat(HandshakeRate.parse("")).isNull();
        assertThat(HandshakeRate.parse(null)).isNull();
        assertThat(HandshakeRate.parse("off")).isNull();
        assertThat(HandshakeRate.parse("0")).isNull();
    }

    @Test
    void printsInTheLargestWholeUnit() {
        assertThat(HandshakeRate.parse("2/1h")).hasToString("2/1h");
        assertThat(HandshakeRate.parse("2/90s")).hasToString("2/90s");
        assertThat(HandshakeRate.parse("5/500ms")).hasToString("5/500ms");
    }

    @Test
    void refusesWhatIsNotARate() {
        assertThatIllegalArgumentException().isThrownBy(() -> HandshakeRate.parse("20"));
        assertThatIllegalArgumentException().isThrownBy(() -> HandshakeRate.parse("many/s"));
        assertThatIllegalArgumentException().isThrownBy(() -> HandshakeRate.parse("-1/s"));
        assertThatIllegalArgumentException().isThrownBy(() -> HandshakeRate.parse("5/0s"));
    }
}
