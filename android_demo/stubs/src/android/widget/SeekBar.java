// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.widget;

import android.content.Context;

public class SeekBar extends AbsSeekBar {
    public SeekBar(Context context) {
        super(context);
        throw new UnsupportedOperationException();
    }

    public void setOnSeekBarChangeListener(OnSeekBarChangeListener l) {
        throw new UnsupportedOperationException();
    }

    public interface OnSeekBarChangeListener {
        void onProgressChanged(SeekBar seekBar, int progress, boolean fromUser);

        void onStartTrackingTouch(SeekBar seekBar);

        void onStopTrackingTouch(SeekBar seekBar);
    }
}
