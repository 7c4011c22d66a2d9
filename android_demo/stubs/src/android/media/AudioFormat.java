// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.media;

public final class AudioFormat {
    public static final int ENCODING_PCM_FLOAT = 4;
    public static final int CHANNEL_OUT_MONO = 4;

    private AudioFormat() {
        throw new UnsupportedOperationException();
    }

    public static class Builder {
        public Builder() {
        throw new UnsupportedOperationException();
        }

        public Builder setEncoding(int encoding) throws IllegalArgumentException {
        throw new UnsupportedOperationException();
        }

        public Builder setSampleRate(int sampleRate) throws IllegalArgumentException {
        throw new UnsupportedOperationException();
        }

        public Builder setChannelMask(int channelMask) {
        throw new UnsupportedOperationException();
        }

        public AudioFormat build() {
        throw new UnsupportedOperationException();
        }
    }
}
