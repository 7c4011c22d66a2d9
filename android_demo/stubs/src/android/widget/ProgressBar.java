// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.widget;

import android.content.Context;
import android.view.View;

public class ProgressBar extends View {
    public ProgressBar(Context context) {
        super(context);
        throw new UnsupportedOperationException();
    }

    public synchronized void setMax(int max) {
        throw new UnsupportedOperationException();
    }

    public synchronized void setProgress(int progress) {
        throw new UnsupportedOperationException();
    }

    public synchronized int getProgress() {
        throw new UnsupportedOperationException();
    }
}
