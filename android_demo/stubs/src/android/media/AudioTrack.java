// Compile-only stub of the public Android SDK API (tests/test_android_app.py); never packaged:
// the real build compiles against android.jar. Only the members the app uses, with their SDK signatures.
package android.media;

public class AudioTrack {
    public static final int MODE_STREAM = 1;
    public static final int WRITE_BLOCKING = 0;
    public static final int PLAYSTATE_PLAYING = 3;
    public static final int STATE_INITIALIZED = 1;

    private AudioTrack() {
        throw new UnsupportedOperationException();
    }

    public static int getMinBufferSize(int sampleRateInHz, int channelConfig, int audioFormat) {
        throw new UnsupportedOperationException();
    }

    public int getState() {
        throw new UnsupportedOperationException();
    }

    public int getPlayState() {
        throw new UnsupportedOperationException();
    }

    public void play() throws IllegalStateException {
        throw new UnsupportedOperationException();
    }

    public void pause() throws IllegalStateException {
        throw new UnsupportedOperationException();
    }

    public void stop() throws IllegalStateException {
        throw new UnsupportedOperationException();
    }

    public void flush() {
        throw new UnsupportedOperationException();
    }

    public void release() {
        throw new UnsupportedOperationException();
    }

    public int write(float[] audioData, int offsetInFloats, int sizeInFloats, int writeMode) {
        throw new UnsupportedOperationException();
    }

    public static class Builder {
        public Builder() {
        throw new UnsupportedOperationException();
        }

        public Builder setAudioAttributes(AudioAttributes attributes) throws IllegalArgumentException {
        throw new UnsupportedOperationException();
        }

        public Builder setAudioFormat(AudioFormat format) throws IllegalArgumentException {
        throw new UnsupportedOperationException();
        }

        public Builder setBufferSizeInBytes(int bufferSizeInBytes) throws IllegalArgumentException {
        throw new UnsupportedOperationException();
        }

        public Builder setTransferMode(int mode) throws IllegalArgumentException {
        throw new UnsupportedOperationException();
        }

        public AudioTrack build() throws UnsupportedOperationException {
        throw new UnsupportedOperationException();
        }
    }
}
