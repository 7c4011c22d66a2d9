// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android;

public final class R {
    public static final class layout {
        public static final int simple_spinner_item = 0x01090008;
        public static final int simple_spinner_dropdown_item = 0x01090009;
    }
}
