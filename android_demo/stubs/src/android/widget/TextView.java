// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.widget;

import android.content.Context;
import android.view.View;

public class TextView extends View {
    public TextView(Context context) {
        super(context);
        throw new UnsupportedOperationException();
    }

    public final void setText(CharSequence text) {
        throw new UnsupportedOperationException();
    }

    public CharSequence getText() {
        throw new UnsupportedOperationException();
    }

    public void setMinLines(int minLines) {
        throw new UnsupportedOperationException();
    }

    public void setInputType(int type) {
        throw new UnsupportedOperationException();
    }

    public void setGravity(int gravity) {
        throw new UnsupportedOperationException();
    }
}
