package dev.kokorolitert.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small reader/writer for NumPy .npy arrays (format 1.0/2.0/3.0, C order), the entries of
 * voices.npz. Reads little-endian float16/float32/float64/int32/int64 into float[] / double[] / long[].
 */
public final class Npy {
    public final String descr;
    public final int[] shape;
    private final ByteBuffer data;

    private Npy(String descr, int[] shape, ByteBuffer data) {
        this.descr = descr;
        this.shape = shape;
        this.data = data;
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    public static Npy parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || bytes[1] != 'N' || bytes[2] != 'U' || bytes[3] != 'M'
                || bytes[4] != 'P' || bytes[5] != 'Y')
            throw new IllegalArgumentException("not a .npy array");
        int major = bytes[6];
        int headerLen, start;
        if (major == 1) { headerLen = b.getShort(8) & 0xffff; start = 10; }
        else { headerLen = b.getInt(8); start = 12; }
        String header = new String(bytes, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw new IllegalArgumentException("bad .npy header: " + header);
        if (f.group(1).equals("True")) throw new IllegalArgumentException(".npy in Fortran order is not supported");
        String[] dims = s.group(1).split(",");
        int rank = 0;
        int[] shape = new int[dims.length];
        for (String dim : dims) if (!dim.trim().isEmpty()) shape[rank++] = Integer.parseInt(dim.trim());
        shape = java.util.Arrays.copyOf(shape, rank);
        String descr = d.group(1);
        int itemsize = itemSize(descr);
        long count = 1;
        for (int x : shape) count *= x;
        int dataStart = start + headerLen;
        if (bytes.length - dataStart < count * itemsize) throw new IllegalArgumentException(".npy data is truncated");
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) (count * itemsize)).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new Npy(descr, shape, data);
    }

    private static int itemSize(String descr) {
        switch (descr) {
            case "<f2": return 2;
            case "<f4": case "<i4": return 4;
            case "<f8": case "<i8": return 8;
            case "|b1": case "|u1": case "|i1": return 1;
            default: throw new IllegalArgumentException("unsupported .npy dtype " + descr);
        }
    }

    public int size() {
        int n = 1;
        for (int x : shape) n *= x;
        return n;
    }

    public float[] floats() {
        int n = size();
        float[] out = new float[n];
        switch (descr) {
            case "<f4": data.asFloatBuffer().get(out); break;
            case "<f2": for (int i = 0; i < n; i++) out[i] = halfToFloat(data.getShort(2 * i)); break;
            case "<f8": for (int i = 0; i < n; i++) out[i] = (float) data.getDouble(8 * i); break;
            default: { long[] l = longs(); for (int i = 0; i < n; i++) out[i] = l[i]; }
        }
        return out;
    }

    /** IEEE 754 binary16 to float (compact bundles store voices in half precision). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff, sign = (h & 0x8000) << 16, exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));  // inf, NaN
        if (exp == 0) {  // zero or subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    public double[] doubles() {
        int n = size();
        double[] out = new double[n];
        switch (descr) {
            case "<f8": data.asDoubleBuffer().get(out); break;
            case "<f4": for (int i = 0; i < n; i++) out[i] = data.getFloat(4 * i); break;
            case "<f2": for (int i = 0; i < n; i++) out[i] = halfToFloat(data.getShort(2 * i)); break;
            default: { long[] l = longs(); for (int i = 0; i < n; i++) out[i] = l[i]; }
        }
        return out;
    }

    public long[] longs() {
        int n = size();
        long[] out = new long[n];
        switch (descr) {
            case "<i8": data.asLongBuffer().get(out); break;
            case "<i4": for (int i = 0; i < n; i++) out[i] = data.getInt(4 * i); break;
            case "|b1": case "|u1": for (int i = 0; i < n; i++) out[i] = data.get(i) & 0xff; break;
            case "|i1": for (int i = 0; i < n; i++) out[i] = data.get(i); break;
            default: throw new IllegalArgumentException("not an integer array: " + descr);
        }
        return out;
    }

    public int[] ints() {
        long[] l = longs();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    // ---- writing (used by the JVM test harness; handy for debugging on a device too)
    public static void write(OutputStream out, float[] values, int... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        writeRaw(out, "<f4", shape, b.array());
    }

    public static void write(OutputStream out, long[] values, int... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        writeRaw(out, "<i8", shape, b.array());
    }

    private static void writeRaw(OutputStream out, String descr, int[] shape, byte[] payload) throws IOException {
        StringBuilder sh = new StringBuilder();
        for (int x : shape) sh.append(x).append(", ");
        String shapeStr = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + (shape.length == 0 ? "" : sh.substring(0, sh.length() - 2)) + ")";
        StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeStr + ", }");
        while ((10 + header.length() + 1) % 64 != 0) header.append(' ');
        header.append('\n');
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        int len = header.length();
        h.write(len & 0xff);
        h.write((len >> 8) & 0xff);
        h.write(header.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(h.toByteArray());
        out.write(payload);
    }
}
