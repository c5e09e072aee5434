package io.wsgate.support;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts the {@link Backend} fields of a test class before the class's first test and closes them, last started
 * first, after its last. Spring builds a test class's context when it prepares the first test instance, which is
 * after every {@code beforeAll}, so a {@code @DynamicPropertySource} method can read the backends' ports.
 */
public final class BackendsExtension implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(BackendsExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        List<AutoCloseable> started = new ArrayList<>();
        context.getStore(NAMESPACE).put(context.getRequiredTestClass(), started);
        for (Field field : context.getRequiredTestClass().getDeclaredFields()) {
            if (!field.isAnnotationPresent(Backend.class)) {
                continue;
            }
            if (!Modifier.isStatic(field.getModifiers()) || Modifier.isFinal(field.getModifiers())) {
                throw new IllegalStateException("@Backend field " + field + " must be static and not final");
            }
            AutoCloseable backend = start(field.getType());
            started.add(backend);
            field.setAccessible(true);
            field.set(null, backend);
        }
    }

    private static AutoCloseable start(Class<?> type) throws Exception {
        try {
            try {
                return (AutoCloseable) type.getMethod("start").invoke(null);
            } catch (NoSuchMethodException noArguments) {
                return (AutoCloseable) type.getMethod("start", String[].class).invoke(null, (Object) new String[0]);
            }
        } catch (InvocationTargetException e) {
            // The backend's own failure, not the reflection's.
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void afterAll(ExtensionContext context) throws Exception {
        List<AutoCloseable> started = context.getStore(NAMESPACE).remove(context.getRequiredTestClass(), List.class);
        if (started == null) {
            return;
        }
        Exception failure = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
