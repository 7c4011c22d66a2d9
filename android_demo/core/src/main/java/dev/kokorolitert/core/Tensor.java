package dev.kokorolitert.core;

import java.util.Arrays;

/** A dense row-major tensor: float32 or int32 data plus its shape. */
public final class Tensor {
    public final int[] shape;
    public final float[] floats; // non-null for float32
    public final int[] ints;     // non-null for int32

    private Tensor(int[] shape, float[] f, int[] i) {
        this.shape = shape.clone();
        this.floats = f;
        this.ints = i;
        long n = 1;
        for (int d : shape) n *= d;
        int len = f != null ? f.length : i.length;
        if (n != len) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + len + " values");
    }

    public static Tensor of(float[] data, int... shape) {
        return new Tensor(shape, data, null);
    }

    public static Tensor of(int[] data, int... shape) {
        return new Tensor(shape, null, data);
    }

    public boolean isFloat() {
        return floats != null;
    }

    public int size() {
        return floats != null ? floats.length : ints.length;
    }

    @Override
    public String toString() {
        return (isFloat() ? "float32" : "int32") + Arrays.toString(shape);
    }
}
