// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.app;

import android.os.Bundle;
import android.view.ContextThemeWrapper;
import android.view.View;

public class Activity extends ContextThemeWrapper {
    public Activity() {
        throw new UnsupportedOperationException();
    }

    protected void onCreate(Bundle savedInstanceState) {
        throw new UnsupportedOperationException();
    }

    protected void onDestroy() {
        throw new UnsupportedOperationException();
    }

    public void setContentView(View view) {
        throw new UnsupportedOperationException();
    }

    public final void runOnUiThread(Runnable action) {
        throw new UnsupportedOperationException();
    }

    public boolean isFinishing() {
        throw new UnsupportedOperationException();
    }
}
