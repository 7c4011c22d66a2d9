// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.content;

import java.io.File;

public abstract class Context {
    public Context() {
        throw new UnsupportedOperationException();
    }

    public abstract File getCacheDir();

    public abstract File getExternalFilesDir(String type);
}
