package io.wsgate.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.annotation.AliasFor;

/**
 * The whole gateway under test on a random port, with the class's {@link Backend} fields started before it
 * (so their ports can go into route properties in the class's {@code @DynamicPropertySource}) and closed after
 * the class. Each class still gets its own application context, as its routes name its own backends.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
// Either order works (Spring builds the context at the first test instance, after every beforeAll); first, so a
// listener that loaded it in beforeAll would still find the backends up.
@ExtendWith(BackendsExtension.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public @interface GatewayTest {

    /** Properties of the gateway under test, as {@link SpringBootTest#properties()}. */
    @AliasFor(annotation = SpringBootTest.class)
    String[] properties() default {};
}
