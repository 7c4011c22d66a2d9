// Compile-only stub (tests/test_android_app.py); never packaged. LiteRT TensorBuffer.kt
// (tag v2.2.0 145c7523ff08 = main f67457790c9c): class TensorBuffer internal constructor(handle: Long) : JniHandle(handle).
// Writes and reads are not type-checked by LiteRT (a float[] written to an int32 tensor is reinterpreted,
// a short array is a partial write); read*() returns the tensor's element count (the JNI's ReadImp).
package com.google.ai.edge.litert;

public final class TensorBuffer extends JniHandle {
    TensorBuffer() {
        throw new UnsupportedOperationException();
    }

    public final void writeInt(int[] data) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void writeFloat(float[] data) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void writeInt8(byte[] data) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void writeBoolean(boolean[] data) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void writeLong(long[] data) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final int[] readInt() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final float[] readFloat() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final byte[] readInt8() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final boolean[] readBoolean() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final long[] readLong() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void destroy() {
        throw new UnsupportedOperationException();
    }
}
