// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.view;

import android.content.Context;

public class View {
    public View(Context context) {
        throw new UnsupportedOperationException();
    }

    public void setPadding(int left, int top, int right, int bottom) {
        throw new UnsupportedOperationException();
    }

    public void setEnabled(boolean enabled) {
        throw new UnsupportedOperationException();
    }

    public void setOnClickListener(OnClickListener l) {
        throw new UnsupportedOperationException();
    }

    public interface OnClickListener {
        void onClick(View v);
    }
}
