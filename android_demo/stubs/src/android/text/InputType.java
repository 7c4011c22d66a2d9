// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.text;

public interface InputType {
    int TYPE_CLASS_TEXT = 0x00000001;
    int TYPE_TEXT_FLAG_MULTI_LINE = 0x00020000;
}
