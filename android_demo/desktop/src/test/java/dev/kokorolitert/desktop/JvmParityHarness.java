package dev.kokorolitert.desktop;

import dev.kokorolitert.core.Dsp;
import dev.kokorolitert.core.KokoroEngine;
import dev.kokorolitert.core.Manifest;
import dev.kokorolitert.core.Npy;
import dev.kokorolitert.core.SourceNoise;
import dev.kokorolitert.core.Tokenizer;
import dev.kokorolitert.core.Voices;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The Java core against the Python runtime, on a real bundle: tests/test_android_core.py writes
 * the Python runtime's inputs and results into a fixture directory, this harness recomputes them
 * in Java (graphs through libLiteRt.so via JNA) and compares.
 *
 * Usage: JvmParityHarness BUNDLE_DIR FIXTURE_DIR OUT_DIR   (env KOKORO_LITERT_LIB = libLiteRt.so)
 * Prints one line per check and "N passed, N failed"; exits 1 if any check failed.
 */
public final class JvmParityHarness {
    private static int passed, failed;
    private static File fx;

    private static void report(String name, boolean ok, String detail) {
        if (ok) passed++;
        else failed++;
        System.out.println((ok ? "PASS " : "FAIL ") + name + ": " + detail);
    }

    private static Npy npy(String name) throws Exception {
        return Npy.parse(Files.readAllBytes(new File(fx, name + ".npy").toPath()));
    }

    private static double maxAbs(float[] a, float[] b) {
        if (a.length != b.length) return Double.POSITIVE_INFINITY;
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static double corr(float[] a, float[] b) {
        int n = Math.min(a.length, b.length);
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
        ma /= n; mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            double x = a[i] - ma, y = b[i] - mb;
            sab += x * y; saa += x * x; sbb += y * y;
        }
        return sab / Math.sqrt(saa * sbb);
    }

    private static void write(File f, float[] data, int... shape) throws Exception {
        try (OutputStream o = new FileOutputStream(f)) {
            Npy.write(o, data, shape);
        }
    }

    private static void write(File f, int[] data) throws Exception {
        long[] l = new long[data.length];
        for (int i = 0; i < data.length; i++) l[i] = data[i];
        try (OutputStream o = new FileOutputStream(f)) {
            Npy.write(o, l, data.length);
        }
    }

    private static String ms(java.util.Map<String, Long> ns) {
        StringBuilder b = new StringBuilder("{");
        for (java.util.Map.Entry<String, Long> e : ns.entrySet())
            b.append(b.length() > 1 ? ", " : "").append(e.getKey()).append(' ').append(String.format("%.1f", e.getValue() / 1e6)).append(" ms");
        return b.append('}').toString();
    }

    /** Runs a check, turning an exception into a failure rather than aborting the run. */
    private interface Check { void run() throws Exception; }

    private static void guard(String name, Check c) {
        try {
            c.run();
        } catch (Throwable t) {
            report(name, false, t.toString());
            t.printStackTrace(System.out);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: JvmParityHarness BUNDLE_DIR FIXTURE_DIR OUT_DIR");
            System.exit(2);
        }
        File bundle = new File(args[0]);
        fx = new File(args[1]);
        File out = new File(args[2]);
        out.mkdirs();
        Properties p = new Properties();
        try (InputStreamReader r = new InputStreamReader(new FileInputStream(new File(fx, "expect.properties")), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Manifest m;
        try (FileInputStream in = new FileInputStream(new File(bundle, "manifest.json"))) {
            m = Manifest.read(in);
        }
        final Manifest manifest = m;

        guard("manifest", () -> {
            boolean ok = Arrays.toString(manifest.tokenBuckets).equals(p.getProperty("tokens"))
                    && Arrays.toString(manifest.frameBuckets).equals(p.getProperty("frames"))
                    && Arrays.toString(manifest.prosodyFrameBuckets).equals(p.getProperty("prosody_frames"))
                    && manifest.vocab.size() == Integer.parseInt(p.getProperty("vocab_size"))
                    && manifest.voiceNames.size() == Integer.parseInt(p.getProperty("voice_count"))
                    && Math.abs(manifest.lLinearBias - Double.parseDouble(p.getProperty("l_bias"))) == 0;
            report("manifest", ok, "tokens " + Arrays.toString(manifest.tokenBuckets) + " frames " + Arrays.toString(manifest.frameBuckets) + " prosody_frames " + Arrays.toString(manifest.prosodyFrameBuckets)
                    + " vocab " + manifest.vocab.size() + " voices " + manifest.voiceNames.size());
        });

        Tokenizer tok = new Tokenizer(manifest.vocab);
        guard("tokenizer", () -> {
            int[] ids = tok.encode(p.getProperty("phonemes"));
            int[] want = npy("tokenizer_ids").ints();
            report("tokenizer", Arrays.equals(ids, want), ids.length + " ids, dropped " + tok.unknown(p.getProperty("phonemes")));
        });

        Voices[] voicesBox = new Voices[1];
        guard("voices", () -> {
            Voices v;
            try (FileInputStream in = new FileInputStream(new File(bundle, manifest.voicesFile))) {
                v = Voices.readNpz(in);
            }
            voicesBox[0] = v;
            List<String> names = new ArrayList<>(manifest.voiceNames);
            java.util.Collections.sort(names);
            float[] style = v.style(p.getProperty("voice"), Integer.parseInt(p.getProperty("style_tokens")));
            double err = maxAbs(style, npy("style").floats());
            report("voices", names.equals(v.names()) && err == 0, v.names().size() + " packs, style row max abs diff " + err);
        });

        guard("durations", () -> {
            float[] d = npy("durations_in").floats();
            boolean ok = true;
            StringBuilder sb = new StringBuilder();
            for (String sp : p.getProperty("speeds").split(",")) {
                int[] got = Dsp.durationsToFrames(d, Float.parseFloat(sp));
                int[] want = npy("durations_out_" + sp).ints();
                ok &= Arrays.equals(got, want);
                sb.append("speed ").append(sp).append(Arrays.equals(got, want) ? " equal; " : " DIFFER " + Arrays.toString(got) + " vs " + Arrays.toString(want) + "; ");
            }
            int[] idx = Dsp.alignmentIndex(npy("durations_out_1.0").ints());
            boolean aok = Arrays.equals(idx, npy("alignment_index").ints());
            sb.append("alignment index ").append(aok ? "equal" : "DIFFERS");
            report("durations+alignment", ok && aok, sb.toString());
        });

        guard("sine_source", () -> {
            float[] f0 = npy("f0").floats();
            float[] nz = npy("noise").floats();
            float[] ini = npy("rand_ini").floats();
            float[] a = Dsp.sineSource(f0, manifest.lLinearWeight, manifest.lLinearBias, null);
            float[] b = Dsp.sineSource(f0, manifest.lLinearWeight, manifest.lLinearBias, new SourceNoise(ini, nz));
            double ea = maxAbs(a, npy("source_clean").floats()), eb = maxAbs(b, npy("source_noisy").floats());
            report("sine_source", ea <= 1e-6 && eb <= 1e-6, f0.length + " frames -> " + a.length + " samples; max abs diff noise-free "
                    + ea + ", noisy " + eb + " (limit 1e-6)");
        });

        guard("stft", () -> {
            float[] x = npy("source_noisy").floats();
            float[][] s = Dsp.stft(x);
            float[] mag = npy("stft_mag").floats(), ph = npy("stft_phase").floats();
            double em = maxAbs(s[0], mag);
            double ec = 0; // complex difference: insensitive to the angle of near-zero bins
            for (int i = 0; i < mag.length; i++) {
                double dr = s[0][i] * Math.cos(s[1][i]) - mag[i] * Math.cos(ph[i]);
                double di = s[0][i] * Math.sin(s[1][i]) - mag[i] * Math.sin(ph[i]);
                ec = Math.max(ec, Math.hypot(dr, di));
            }
            double scale = maxAbs(mag);
            report("stft", em <= 1e-6 * scale + 1e-7 && ec <= 1e-6 * scale + 1e-7, "[11, " + Dsp.stftFrames(x.length) + "] magnitude max abs diff " + em
                    + ", complex max abs diff " + ec + " (max magnitude " + scale + ")");
        });

        guard("istft", () -> {
            Npy magN = npy("istft_mag");
            float[] y = Dsp.istft(magN.floats(), npy("istft_phase").floats(), magN.shape[1]);
            float[] want = npy("istft_out").floats();
            double e = maxAbs(y, want);
            report("istft", e <= 1e-5 * maxAbs(want), y.length + " samples, max abs diff " + e + " (peak " + maxAbs(want) + ")");
        });

        guard("join", () -> {
            List<float[]> chunks = new ArrayList<>();
            chunks.add(npy("join_a").floats());
            chunks.add(npy("join_b").floats());
            float[] y = Dsp.join(chunks, new double[] {Double.parseDouble(p.getProperty("join_pause"))}, 0.005);
            double e = maxAbs(y, npy("join_out").floats());
            report("join", e == 0, y.length + " samples, max abs diff " + e);
        });

        // ---- the whole engine through the real graphs
        File lib = LiteRtJnaGraphs.findLibrary();
        try (LiteRtJnaGraphs graphs = new LiteRtJnaGraphs(lib, bundle, manifest)) {
            guard("signatures", () -> {
                boolean ok = graphs.signatures("predictor").equals(Arrays.asList(p.getProperty("predictor_signatures").split(",")))
                        && graphs.signatures("vocoder").equals(Arrays.asList(p.getProperty("frame_signatures").split(",")))
                        && graphs.signatures("prosody").equals(Arrays.asList(p.getProperty("prosody_signatures").split(",")));
                report("signatures", ok, "predictor " + graphs.signatures("predictor") + ", prosody " + graphs.signatures("prosody")
                        + ", vocoder " + graphs.signatures("vocoder"));
            });
            KokoroEngine engine = new KokoroEngine(manifest, graphs);
            for (String c : p.getProperty("cases").split(",")) {
                guard("engine " + c, () -> {
                    int[] ids = tok.encode(p.getProperty(c + ".phonemes"));
                    double minCorr = Double.parseDouble(p.getProperty(c + ".min_corr"));
                    double maxErr = Double.parseDouble(p.getProperty(c + ".max_abs_err"));
                    float speed = Float.parseFloat(p.getProperty(c + ".speed"));
                    String voice = p.getProperty(c + ".voice");
                    float[] style = voicesBox[0].style(voice, ids.length);
                    String noise = p.getProperty(c + ".noise");
                    long t0 = System.nanoTime();
                    KokoroEngine.Utterance u;
                    if (noise.equals("none")) u = engine.speak(ids, style, speed);
                    else {
                        float[] nz = npy(noise).floats();
                        u = engine.speak(ids, style, speed, n -> new SourceNoise(new float[Dsp.N_HARMONICS], nz));
                    }
                    double ms = (System.nanoTime() - t0) / 1e6;
                    write(new File(out, c + "_audio.npy"), u.audio, u.audio.length);
                    write(new File(out, c + "_durations.npy"), u.durations);
                    int[] wantDur = npy(c + "_durations").ints();
                    float[] want = npy(c + "_audio").floats();
                    boolean durOk = Arrays.equals(u.durations, wantDur) && Arrays.equals(ids, npy(c + "_ids").ints());
                    double r = corr(u.audio, want), e = maxAbs(u.audio, want);
                    boolean ok = durOk && u.audio.length == want.length && r >= minCorr && e <= maxErr;
                    report("engine " + c, ok, ids.length + " ids, " + voice + ", speed " + speed + ", noise " + noise + ": durations "
                            + (durOk ? "identical" : "DIFFER") + " (" + Dsp.sum(u.durations) + " frames), " + u.audio.length + " samples, corr "
                            + String.format("%.7f", r) + ", max abs err " + String.format("%.3g", e) + " (peak " + String.format("%.3f", maxAbs(want))
                            + "; limits corr >= " + minCorr + ", max abs <= " + maxErr + "), " + String.format("%.0f", ms) + " ms " + ms(u.timingsNs));
                });
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 && passed > 0 ? 0 : 1);
    }
}
