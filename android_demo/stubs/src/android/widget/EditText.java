// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.widget;

import android.content.Context;
import android.text.Editable;

public class EditText extends TextView {
    public EditText(Context context) {
        super(context);
        throw new UnsupportedOperationException();
    }

    @Override
    public Editable getText() {
        throw new UnsupportedOperationException();
    }
}
