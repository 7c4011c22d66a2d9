// Compile-only stub (tests/test_android_app.py); never packaged. LiteRT LiteRtException.kt
// (tag v2.2.0 145c7523ff08 = main f67457790c9c): class LiteRtException(status: Status, message: String) : Exception(message),
// a CHECKED exception in Java; every Kotlin method marked @Throws(LiteRtException::class) declares it.
// (The Status-typed constructor and the Status enum are left out: the app never constructs one.)
package com.google.ai.edge.litert;

public final class LiteRtException extends Exception {
    public LiteRtException(int code, String message) {
        super(message);
        throw new UnsupportedOperationException();
    }
}
