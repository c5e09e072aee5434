package io.wsgate.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A static field of a {@link GatewayTest} class holding a backend that {@link BackendsExtension} starts before the
 * gateway's context (through the field type's static {@code start()}, e.g. {@link ScriptedBackend#start()} or
 * {@link EchoBackend#start(String...)} without arguments) and closes after the class.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Backend {}
