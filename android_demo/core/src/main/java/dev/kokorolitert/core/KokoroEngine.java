package dev.kokorolitert.core;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Token ids + a style row -> audio through the bundle's three graphs and the host DSP: the same
 * steps as runtime/engine.py {@code Engine.speak}. Each step pads to the smallest bucket that fits
 * and trims back to the real length.
 */
public final class KokoroEngine {
    public static final int STYLE_DIM = 256;

    public static final class Utterance {
        public final float[] audio;
        public final int[] durations; // frames per input token, boundary tokens included
        public final Map<String, Long> timingsNs;

        Utterance(float[] audio, int[] durations, Map<String, Long> timingsNs) {
            this.audio = audio;
            this.durations = durations;
            this.timingsNs = timingsNs;
        }
    }

    /** Too many tokens or frames for the bundle's largest bucket (split the text into shorter chunks). */
    public static class BucketOverflow extends IllegalArgumentException {
        public BucketOverflow(String msg) {
            super(msg);
        }
    }

    /** More frames than the largest frame bucket: the chunk must be split between words. */
    public static final class FramesOverflow extends BucketOverflow {
        public FramesOverflow(String msg) {
            super(msg);
        }
    }

    private final Manifest manifest;
    private final Graphs graphs;

    public KokoroEngine(Manifest manifest, Graphs graphs) {
        this.manifest = manifest;
        this.graphs = graphs;
    }

    public Manifest manifest() {
        return manifest;
    }

    /** Noise-free source (deterministic output). */
    public Utterance speak(int[] ids, float[] style, float speed) throws Exception {
        return speak(ids, style, speed, (IntFunction<SourceNoise>) null);
    }

    /** Source noise drawn from {@code rng} like Kokoro's SineGen (the app's default). */
    public Utterance speak(int[] ids, float[] style, float speed, Random rng) throws Exception {
        return speak(ids, style, speed, samples -> SourceNoise.draw(rng, samples));
    }

    /**
     * Phoneme ids (without boundary tokens) + style row [256] -> audio.
     * {@code noise} is asked for the source noise once the sample count (2 * frames * 300) is known;
     * null (or a null result) means a noise-free source.
     */
    public Utterance speak(int[] ids, float[] style, float speed, IntFunction<SourceNoise> noiseFor) throws Exception {
        if (style.length != STYLE_DIM) throw new IllegalArgumentException("style must have 256 values");
        Map<String, Long> timings = new LinkedHashMap<>();
        long clock = System.nanoTime();
        Tensor styleT = Tensor.of(style, 1, STYLE_DIM);

        // predictor
        int[] input = Tokenizer.modelInput(ids);
        int n = input.length;
        int t = manifest.pickTokens(n);
        if (t < 0) throw new BucketOverflow(n + " tokens do not fit the largest token bucket (" + last(manifest.tokenBuckets) + ")");
        int[] tokens = new int[t];
        float[] tmask = new float[t];
        System.arraycopy(input, 0, tokens, 0, n);
        for (int i = 0; i < n; i++) tmask[i] = 1f;
        Map<String, Tensor> in = new HashMap<>();
        in.put("tokens", Tensor.of(tokens, 1, t));
        in.put("token_mask", Tensor.of(tmask, 1, t));
        in.put("style", styleT);
        Map<String, Tensor> pred = graphs.run("predictor", Manifest.tokenSignature(t), in);
        float[] durF = new float[n];
        System.arraycopy(get(pred, "durations").floats, 0, durF, 0, n);
        float[] d = get(pred, "d").floats;       // [1, t, 640]
        float[] tEn = get(pred, "t_en").floats;  // [1, 512, t]
        int dDim = get(pred, "d").shape[2];
        int encDim = get(pred, "t_en").shape[1];
        clock = lap(timings, "predictor", clock);

        // durations + alignment
        int[] durations = Dsp.durationsToFrames(durF, speed);
        int frames = Dsp.sum(durations);
        int size = manifest.pickFrames(frames, "vocoder");
        if (size < 0) throw new FramesOverflow(frames + " frames do not fit the largest frame bucket (" + last(manifest.frameBuckets) + ")");
        int pSize = manifest.pickFrames(frames, "prosody");
        if (pSize < 0) throw new FramesOverflow(frames + " frames do not fit the largest prosody bucket (" + last(manifest.prosodyFrameBuckets) + ")");
        int[] idx = Dsp.alignmentIndex(durations);
        float[] dFrames = new float[pSize * dDim];   // [1, pSize, 640], zero padded
        float[] asr = new float[encDim * size];      // [1, 512, size], zero padded
        for (int f = 0; f < frames; f++) {
            int tok = idx[f];
            System.arraycopy(d, tok * dDim, dFrames, f * dDim, dDim);
            for (int c = 0; c < encDim; c++) asr[c * size + f] = tEn[c * t + tok];
        }
        clock = lap(timings, "alignment", clock);

        // prosody (its own frame buckets)
        in = new HashMap<>();
        in.put("d_frames", Tensor.of(dFrames, 1, pSize, dDim));
        in.put("style", styleT);
        in.put("frame_mask", Tensor.of(mask(frames, pSize), 1, pSize));
        Map<String, Tensor> pros = graphs.run("prosody", Manifest.frameSignature(pSize), in);
        float[] f0 = java.util.Arrays.copyOf(get(pros, "f0").floats, 2 * frames);
        float[] nCurve = java.util.Arrays.copyOf(get(pros, "n").floats, 2 * frames);
        clock = lap(timings, "prosody", clock);

        // source
        SourceNoise noise = noiseFor == null ? null : noiseFor.apply(sourceSamples(frames));
        float[] excitation = Dsp.sineSource(f0, manifest.lLinearWeight, manifest.lLinearBias, noise);
        float[][] spec = Dsp.stft(excitation);
        int sReal = Dsp.stftFrames(excitation.length);               // 120 * frames + 1
        int sSize = manifest.sourceFramesPerFrame * size + 1;
        float[] source = new float[2 * Dsp.N_BINS * sSize];          // [1, 22, sSize]
        for (int m = 0; m < Dsp.N_BINS; m++) {
            System.arraycopy(spec[0], m * sReal, source, m * sSize, sReal);
            System.arraycopy(spec[1], m * sReal, source, (Dsp.N_BINS + m) * sSize, sReal);
        }
        clock = lap(timings, "source", clock);

        // vocoder
        float[] f0Pad = new float[2 * size];
        float[] nPad = new float[2 * size];
        System.arraycopy(f0, 0, f0Pad, 0, 2 * frames);
        System.arraycopy(nCurve, 0, nPad, 0, 2 * frames);
        in = new HashMap<>();
        in.put("asr", Tensor.of(asr, 1, encDim, size));
        in.put("f0", Tensor.of(f0Pad, 1, 2 * size));
        in.put("n", Tensor.of(nPad, 1, 2 * size));
        in.put("source", Tensor.of(source, 1, 2 * Dsp.N_BINS, sSize));
        in.put("style", styleT);
        in.put("frame_mask", Tensor.of(mask(frames, size), 1, size));
        Map<String, Tensor> voc = graphs.run("vocoder", Manifest.frameSignature(size), in);
        Tensor magT = get(voc, "magnitude");
        int sOut = magT.shape[2];
        float[] mag = new float[Dsp.N_BINS * sReal];
        float[] ph = new float[Dsp.N_BINS * sReal];
        for (int m = 0; m < Dsp.N_BINS; m++) {
            System.arraycopy(magT.floats, m * sOut, mag, m * sReal, sReal);
            System.arraycopy(get(voc, "phase").floats, m * sOut, ph, m * sReal, sReal);
        }
        clock = lap(timings, "vocoder", clock);

        float[] audio = Dsp.istft(mag, ph, sReal);
        lap(timings, "istft", clock);
        return new Utterance(audio, durations, timings);
    }

    /** Noise for an utterance's source, sized from its durations: 2 * frames * 300 samples. */
    public static int sourceSamples(int frames) {
        return 2 * frames * Dsp.UPSAMPLE_SCALE;
    }

    private static Tensor get(Map<String, Tensor> out, String name) {
        Tensor t = out.get(name);
        if (t == null) throw new IllegalStateException("graph output '" + name + "' missing (got " + out.keySet() + ")");
        return t;
    }

    private static float[] mask(int n, int size) {
        float[] m = new float[size];
        java.util.Arrays.fill(m, 0, n, 1f);
        return m;
    }

    private static int last(int[] a) {
        return a[a.length - 1];
    }

    private static long lap(Map<String, Long> timings, String stage, long clock) {
        long now = System.nanoTime();
        timings.merge(stage, now - clock, Long::sum);
        return now;
    }
}
