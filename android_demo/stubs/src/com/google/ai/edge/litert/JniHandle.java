// Compile-only stub (tests/test_android_app.py); never packaged. The Java-visible shape of
// google-ai-edge/LiteRT litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Common.kt
// (identical at tag v2.2.0 145c7523ff08 and main f67457790c9c, 2026-08-21):
//   abstract class JniHandle internal constructor(internal val handle: Long) : AutoCloseable
//   override final fun close()   -- no checked exception on the Java side
package com.google.ai.edge.litert;

public abstract class JniHandle implements AutoCloseable {
    JniHandle() {
        throw new UnsupportedOperationException();
    }

    protected final void assertNotDestroyed() {
        throw new UnsupportedOperationException();
    }

    protected abstract void destroy();

    @Override
    public final void close() {
        throw new UnsupportedOperationException();
    }
}
