// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.media;

public final class AudioAttributes {
    public static final int USAGE_MEDIA = 1;
    public static final int CONTENT_TYPE_SPEECH = 1;

    private AudioAttributes() {
        throw new UnsupportedOperationException();
    }

    public static class Builder {
        public Builder() {
        throw new UnsupportedOperationException();
        }

        public Builder setUsage(int usage) {
        throw new UnsupportedOperationException();
        }

        public Builder setContentType(int contentType) {
        throw new UnsupportedOperationException();
        }

        public AudioAttributes build() {
        throw new UnsupportedOperationException();
        }
    }
}
