package dev.kokorolitert.core;

/**
 * Host-side DSP between the graphs, a line-by-line port of runtime/dsp.py (its "float64"
 * semantics): duration rounding, token->frame alignment, the hn-NSF sine source, STFT/iSTFT
 * (n_fft 20, hop 5, periodic Hann, center=True, reflect padding; torch.istft's window-sum
 * normalisation) and joining. Everything computes in double and returns float.
 */
public final class Dsp {
    private Dsp() {}

    public static final int SAMPLE_RATE = 24000;
    public static final int UPSAMPLE_SCALE = 300;
    public static final int N_FFT = 20;
    public static final int HOP = 5;
    public static final int N_BINS = N_FFT / 2 + 1;
    public static final int HARMONIC_NUM = 8;
    public static final int N_HARMONICS = HARMONIC_NUM + 1;
    public static final double SINE_AMP = 0.1;
    public static final double NOISE_STD = 0.003;
    public static final double VOICED_THRESHOLD = 10.0;

    // ------------------------------------------------------------------ durations
    /** {@code round(d / speed).clamp(min=1)}: float32 division, round half to even (np.round / torch.round). */
    public static int[] durationsToFrames(float[] durations, float speed) {
        int[] out = new int[durations.length];
        for (int i = 0; i < durations.length; i++) {
            float q = durations[i] / speed;
            double r = Math.rint(q);
            out[i] = (int) Math.max(r, 1.0);
        }
        return out;
    }

    public static int sum(int[] a) {
        int s = 0;
        for (int x : a) s += x;
        return s;
    }

    /** Token index of every frame: repeat_interleave(arange(T), durations). */
    public static int[] alignmentIndex(int[] frameDurations) {
        int total = 0;
        for (int d : frameDurations) {
            if (d < 0) throw new IllegalArgumentException("negative frame duration");
            total += d;
        }
        int[] idx = new int[total];
        int p = 0;
        for (int t = 0; t < frameDurations.length; t++)
            for (int k = 0; k < frameDurations[t]; k++) idx[p++] = t;
        return idx;
    }

    // ------------------------------------------------------------------ sine source
    /** numpy's float mod: the result takes the sign of the divisor. */
    static double pyMod(double a, double b) {
        double m = a % b;
        if (m != 0) {
            if ((b < 0) != (m < 0)) m += b;
        } else {
            m = Math.copySign(0.0, b);
        }
        return m;
    }

    /**
     * Kokoro's harmonic excitation {@code tanh(l_linear(SineGen(F0)))}, dsp.sine_source with
     * semantics "float64". f0: [N] at 80 Hz; weight [9], bias; noise for N*300 samples or null
     * (no noise). Returns float [N*300].
     */
    public static float[] sineSource(float[] f0, double[] weight, double bias, SourceNoise noise) {
        final int n = f0.length;
        final int scale = UPSAMPLE_SCALE;
        final int nSamples = n * scale;
        final int H = N_HARMONICS;
        if (weight.length != H) throw new IllegalArgumentException("l_linear weight needs 9 values");
        if (noise != null && noise.nSamples != nSamples)
            throw new IllegalArgumentException("noise has " + noise.nSamples + " samples, need " + nSamples);
        float[] out = new float[nSamples];
        if (n == 0) return out;
        // 1.-3. per-frame increments (cycles/sample), float64 cumsum at frame rate, x300
        double[] cyc = new double[n * H];
        double[] acc = new double[H];
        for (int d = 0; d < n; d++) {
            double f = f0[d];
            for (int k = 0; k < H; k++) {
                double fn = f * (k + 1);
                double rad = pyMod(fn / SAMPLE_RATE, 1.0);
                acc[k] += rad;
                cyc[d * H + k] = acc[k] * scale;
            }
        }
        // 4. linear x300 upsample relative to the whole cycles of the left frame
        double[] left = new double[n * H];
        double[] right = new double[n * H];
        for (int d = 0; d < n; d++) {
            int dn = Math.min(d + 1, n - 1);
            for (int k = 0; k < H; k++) {
                double c = cyc[d * H + k];
                double whole = Math.floor(c);
                left[d * H + k] = c - whole;
                right[d * H + k] = cyc[dn * H + k] - whole;
            }
        }
        final float twoPi = (float) (2.0 * Math.PI);
        final double invScale = 1.0 / scale;
        final double unvoicedAmp = SINE_AMP / 3.0;
        double[] s = new double[H];
        for (int j = 0; j < nSamples; j++) {
            double src = Math.max(invScale * (j + 0.5) - 0.5, 0.0);
            int i0 = (int) Math.min((long) Math.floor(src), n - 1);
            double lam = Math.min(Math.max(src - i0, 0.0), 1.0);
            double w0 = 1.0 - lam;
            int frame = j / scale;
            boolean uv = f0[frame] > VOICED_THRESHOLD;
            double amp = SINE_AMP * (uv ? 1.0 : 0.0);
            double namp = uv ? NOISE_STD : unvoicedAmp;
            double y = 0.0;
            for (int k = 0; k < H; k++) {
                double phase = w0 * left[i0 * H + k];
                phase += lam * right[i0 * H + k];
                phase -= Math.rint(phase);
                float arg = (float) phase;
                arg *= twoPi;
                double v = (double) (float) Math.sin(arg);
                v *= amp;
                if (noise != null) v += namp * (double) noise.noise[j * H + k];
                s[k] = v;
            }
            for (int k = 0; k < H; k++) y += s[k] * weight[k];
            out[j] = (float) Math.tanh(y + bias);
        }
        return out;
    }

    // ------------------------------------------------------------------ STFT
    private static final double[] HANN = new double[N_FFT];
    private static final double[] COS = new double[N_FFT];
    private static final double[] SIN = new double[N_FFT];

    static {
        for (int i = 0; i < N_FFT; i++) {
            HANN[i] = 0.5 - 0.5 * Math.cos(2.0 * Math.PI * i / N_FFT);
            COS[i] = Math.cos(2.0 * Math.PI * i / N_FFT);
            SIN[i] = Math.sin(2.0 * Math.PI * i / N_FFT);
        }
        // exact values where the table entries are exactly representable
        COS[5] = 0.0; COS[15] = 0.0; SIN[0] = 0.0; SIN[10] = 0.0;
        COS[0] = 1.0; COS[10] = -1.0; SIN[5] = 1.0; SIN[15] = -1.0;
    }

    /** torch.hann_window(20, periodic=True) in double. */
    public static double[] hannWindow() {
        return HANN.clone();
    }

    /**
     * TorchSTFT.transform: |STFT| and angle. x: [samples]. Returns {magnitude, phase}, each
     * float [11 * F] row-major [bins, F], F = 1 + samples / 5.
     */
    public static float[][] stft(float[] x) {
        int len = x.length;
        int pad = N_FFT / 2;
        if (len <= pad) throw new IllegalArgumentException("reflect padding needs more than " + pad + " samples");
        int plen = len + 2 * pad;
        double[] xp = new double[plen];
        for (int i = 0; i < plen; i++) {
            int idx = i - pad;
            if (idx < 0) idx = -idx;
            else if (idx >= len) idx = 2 * (len - 1) - idx;
            xp[i] = x[idx];
        }
        int frames = 1 + (plen - N_FFT) / HOP;
        float[] mag = new float[N_BINS * frames];
        float[] ph = new float[N_BINS * frames];
        double[] v = new double[N_FFT];
        for (int f = 0; f < frames; f++) {
            int off = f * HOP;
            for (int k = 0; k < N_FFT; k++) v[k] = xp[off + k] * HANN[k];
            for (int m = 0; m < N_BINS; m++) {
                double re = 0.0, im = 0.0;
                for (int k = 0; k < N_FFT; k++) {
                    int r = (k * m) % N_FFT;
                    re += v[k] * COS[r];
                    im -= v[k] * SIN[r];
                }
                if (m == 0 || m == N_FFT / 2) im = 0.0; // real bins: +0 imaginary part, like rfft
                mag[m * frames + f] = (float) Math.hypot(re, im);
                ph[m * frames + f] = (float) Math.atan2(im, re);
            }
        }
        return new float[][] {mag, ph};
    }

    /** Number of STFT frames for {@code samples} samples. */
    public static int stftFrames(int samples) {
        return 1 + samples / HOP;
    }

    /**
     * TorchSTFT.inverse = torch.istft(mag * exp(i*phase), 20, 5, hann, center=True).
     * magnitude, phase: float [11 * F] row-major [bins, F]. Returns float [5 * (F - 1)].
     */
    public static float[] istft(float[] magnitude, float[] phase, int frames) {
        if (magnitude.length != N_BINS * frames || phase.length != N_BINS * frames)
            throw new IllegalArgumentException("expected [11, F] magnitude and phase");
        int olaLen = (frames - 1) * HOP + N_FFT;
        double[] y = new double[olaLen];
        double[] env = new double[olaLen];
        double[] re = new double[N_BINS];
        double[] im = new double[N_BINS];
        for (int f = 0; f < frames; f++) {
            for (int m = 0; m < N_BINS; m++) {
                float a = magnitude[m * frames + f];
                float p = phase[m * frames + f];
                re[m] = a * (float) Math.cos(p); // float32 products like numpy's complex64 path
                im[m] = a * (float) Math.sin(p);
            }
            int off = f * HOP;
            for (int t = 0; t < N_FFT; t++) {
                double acc = re[0] + ((t & 1) == 0 ? re[N_FFT / 2] : -re[N_FFT / 2]);
                for (int m = 1; m < N_FFT / 2; m++) {
                    int r = (m * t) % N_FFT;
                    acc += 2.0 * (re[m] * COS[r] - im[m] * SIN[r]);
                }
                y[off + t] += acc / N_FFT * HANN[t];
                env[off + t] += HANN[t] * HANN[t];
            }
        }
        int start = N_FFT / 2;
        int outLen = HOP * (frames - 1);
        float[] out = new float[Math.max(outLen, 0)];
        for (int i = 0; i < outLen; i++) {
            double e = env[start + i];
            if (e < 1e-11) throw new IllegalArgumentException("window overlap-add envelope is zero");
            out[i] = (float) (y[start + i] / e);
        }
        return out;
    }

    // ------------------------------------------------------------------ joining
    /** Raised-cosine fade-in/out of {@code fadeS} seconds (copy). */
    public static float[] fadeEdges(float[] audio, double fadeS, boolean fadeIn, boolean fadeOut) {
        float[] a = audio.clone();
        int n = (int) Math.min(Math.rint(fadeS * SAMPLE_RATE), a.length / 2);
        if (n > 0) {
            for (int i = 0; i < n; i++) {
                float ramp = (float) (0.5 - 0.5 * Math.cos(Math.PI * (i + 0.5) / n));
                if (fadeIn) a[i] *= ramp;
                if (fadeOut) a[a.length - 1 - i] *= ramp;
            }
        }
        return a;
    }

    /** dsp.join: chunks with {@code round(p * 24000)} zero samples between them, 5 ms fades at the joins. */
    public static float[] join(java.util.List<float[]> chunks, double[] pausesS, double fadeS) {
        int gaps = Math.max(chunks.size() - 1, 0);
        if (pausesS.length != gaps) throw new IllegalArgumentException(chunks.size() + " chunks need " + gaps + " pauses");
        int total = 0;
        int[] gap = new int[gaps];
        for (int i = 0; i < gaps; i++) {
            if (pausesS[i] < 0) throw new IllegalArgumentException("negative pause");
            gap[i] = (int) Math.rint(pausesS[i] * SAMPLE_RATE);
            total += gap[i];
        }
        for (float[] c : chunks) total += c.length;
        float[] out = new float[total];
        int pos = 0;
        for (int i = 0; i < chunks.size(); i++) {
            float[] c = fadeEdges(chunks.get(i), fadeS, i > 0, i < gaps);
            System.arraycopy(c, 0, out, pos, c.length);
            pos += c.length;
            if (i < gaps) pos += gap[i];
        }
        return out;
    }
}
