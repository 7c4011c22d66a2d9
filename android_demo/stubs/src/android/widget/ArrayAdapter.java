// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.widget;

import android.content.Context;

import java.util.List;

public class ArrayAdapter<T> extends BaseAdapter {
    public ArrayAdapter(Context context, int resource, List<T> objects) {
        throw new UnsupportedOperationException();
    }

    public void setDropDownViewResource(int resource) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int getCount() {
        throw new UnsupportedOperationException();
    }

    @Override
    public T getItem(int position) {
        throw new UnsupportedOperationException();
    }
}
