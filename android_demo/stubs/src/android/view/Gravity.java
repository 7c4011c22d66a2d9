// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.view;

public class Gravity {
    public static final int TOP = 48;
    public static final int START = 8388611;

    public Gravity() {
        throw new UnsupportedOperationException();
    }
}
