// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.os;

public final class Bundle {
    public Bundle() {
        throw new UnsupportedOperationException();
    }
}
