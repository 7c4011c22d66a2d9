package dev.kokorolitert.desktop;

import dev.kokorolitert.core.Kokoro;
import dev.kokorolitert.core.Manifest;
import dev.kokorolitert.core.Npy;
import dev.kokorolitert.core.SourceNoise;

import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * {@code android_demo/speak}: the app's code path minus Android. Text (arguments, else stdin) ->
 * {@link Kokoro} -> a 16-bit WAV, through the bundle's graphs run by libLiteRt.so over JNA.
 *
 * <pre>
 * speak [--bundle DIR] [-o out.wav] [--voice af_heart] [--speed 1.0] [--seed N] [--no-verify]
 *       [--noise-npz FILE] [--report FILE.json] [TEXT ...]
 * </pre>
 * {@code --noise-npz} replays source noise recorded from the Python runtime (arrays noise_0,
 * noise_1, ... of shape [samples, 9], one per predictor pass), so the two runtimes can be compared
 * sample for sample; {@code --report} writes each chunk's text, phonemes, durations and dropped words.
 * Exit status: 0 done, 2 bad arguments, input or bundle, 1 anything else.
 */
public final class Speak {
    private Speak() {
    }

    public static void main(String[] args) {
        PrintStream err = System.err;
        try {
            System.exit(run(args, err));
        } catch (IllegalArgumentException | Kokoro.BundleError e) {
            err.println("error: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            err.println("error: " + e);
            System.exit(1);
        }
    }

    static int run(String[] args, PrintStream err) throws Exception {
        String bundle = System.getenv("KOKORO_LITERT_BUNDLE");
        String out = "out.wav", voice = "af_heart", noiseNpz = null, report = null;
        float speed = 1f;
        Long seed = null;
        boolean verify = true;
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--bundle": bundle = value(args, ++i, a); break;
                case "-o": case "--output": out = value(args, ++i, a); break;
                case "--voice": voice = value(args, ++i, a); break;
                case "--speed": speed = Float.parseFloat(value(args, ++i, a)); break;
                case "--seed": seed = Long.parseLong(value(args, ++i, a)); break;
                case "--noise-npz": noiseNpz = value(args, ++i, a); break;
                case "--report": report = value(args, ++i, a); break;
                case "--no-verify": verify = false; break;
                case "-h": case "--help":
                    err.println("usage: speak [--bundle DIR] [-o out.wav] [--voice NAME] [--speed X] [--seed N] "
                            + "[--no-verify] [--noise-npz FILE] [--report FILE.json] [TEXT ...]  (stdin when no TEXT)");
                    return 0;
                default:
                    if (a.startsWith("-") && a.length() > 1) throw new IllegalArgumentException("unknown option " + a);
                    words.add(a);
            }
        }
        if (bundle == null)
            bundle = new File(System.getProperty("user.home"), ".cache/kokoro-litert/bundles/default").getPath();
        String text = words.isEmpty() ? new String(Manifest.readAll(System.in), StandardCharsets.UTF_8) : String.join(" ", words);
        File outFile = new File(out).getAbsoluteFile();
        File dir = outFile.getParentFile();
        if (dir == null || !dir.isDirectory() || !dir.canWrite())
            throw new IllegalArgumentException("cannot write " + outFile + ": its directory does not exist or is not writable");

        File libLiteRt = LiteRtJnaGraphs.findLibrary();
        File bundleDir = new File(bundle);
        String voiceName = voice, reportPath = report;
        float speedValue = speed;
        boolean verifyFiles = verify;
        IntFunction<SourceNoise> noise = noiseNpz != null ? replay(new File(noiseNpz))
                : samplesFrom(seed == null ? new Random() : new Random(seed));
        double[] seconds = new double[2]; // bundle load, synthesis
        List<Kokoro.Chunk> chunks = QuietStderr.call(() -> {
            long t0 = System.nanoTime();
            try (Kokoro kokoro = Kokoro.open(bundleDir, (d, m) -> new LiteRtJnaGraphs(libLiteRt, d, m), verifyFiles)) {
                long t1 = System.nanoTime();
                seconds[0] = (t1 - t0) / 1e9;
                List<Kokoro.Chunk> spoken = new ArrayList<>();
                for (Iterator<Kokoro.Chunk> it = kokoro.stream(text, voiceName, speedValue, noise); it.hasNext(); ) spoken.add(it.next());
                seconds[1] = (System.nanoTime() - t1) / 1e9;
                return spoken;
            }
        });
        int samples = 0;
        List<String> dropped = new ArrayList<>();
        for (Kokoro.Chunk c : chunks) {
            samples += c.audio.length;
            dropped.addAll(c.dropped);
        }
        writeWav(outFile, chunks, samples);
        if (reportPath != null) writeReport(new File(reportPath), chunks);
        double audioS = samples / (double) Kokoro.SAMPLE_RATE;
        if (!dropped.isEmpty()) err.println("note: not spoken: " + String.join(", ", dropped));
        err.printf("%s: %.2f s of audio in %.2f s (RTF %.3f), %d chunks; bundle loaded in %.2f s%n",
                outFile, audioS, seconds[1], seconds[1] / audioS, chunks.size(), seconds[0]);
        return 0;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[i];
    }

    private static IntFunction<SourceNoise> samplesFrom(Random rng) {
        return n -> SourceNoise.draw(rng, n);
    }

    /** Each predictor pass takes the next recorded array, which must have exactly the samples it asks for. */
    private static IntFunction<SourceNoise> replay(File npz) throws IOException {
        Map<String, float[]> arrays = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new java.io.FileInputStream(npz))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; )
                arrays.put(e.getName().replaceAll("\\.npy$", ""), Npy.parse(Manifest.readAll(zip)).floats());
        }
        int[] next = {0};
        return samples -> {
            float[] nz = arrays.get("noise_" + next[0]);
            if (nz == null || nz.length != samples * 9)
                throw new IllegalArgumentException("--noise-npz: no noise_" + next[0] + " with " + samples + " x 9 values");
            next[0]++;
            return new SourceNoise(new float[9], nz);
        };
    }

    /** 16-bit PCM mono, written to a temporary file and renamed: no half-written WAV on failure. */
    private static void writeWav(File out, List<Kokoro.Chunk> chunks, int samples) throws IOException {
        File tmp = File.createTempFile(".speak-", ".wav", out.getParentFile());
        try {
            try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(new FileOutputStream(tmp)))) {
                int data = 2 * samples;
                o.writeBytes("RIFF");
                o.writeInt(Integer.reverseBytes(36 + data));
                o.writeBytes("WAVEfmt ");
                o.writeInt(Integer.reverseBytes(16));
                o.writeShort(Short.reverseBytes((short) 1));
                o.writeShort(Short.reverseBytes((short) 1));
                o.writeInt(Integer.reverseBytes(Kokoro.SAMPLE_RATE));
                o.writeInt(Integer.reverseBytes(2 * Kokoro.SAMPLE_RATE));
                o.writeShort(Short.reverseBytes((short) 2));
                o.writeShort(Short.reverseBytes((short) 16));
                o.writeBytes("data");
                o.writeInt(Integer.reverseBytes(data));
                for (Kokoro.Chunk c : chunks)
                    for (float v : c.audio) o.writeShort(Short.reverseBytes(pcm16(v)));
            }
            Files.move(tmp.toPath(), out.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            tmp.delete();
        }
    }

    static short pcm16(float v) {
        return (short) Math.rint(Math.max(-1.0, Math.min(1.0, v)) * 32767.0);
    }

    private static void writeReport(File file, List<Kokoro.Chunk> chunks) throws IOException {
        StringBuilder sb = new StringBuilder("{\"chunks\": [");
        for (int i = 0; i < chunks.size(); i++) {
            Kokoro.Chunk c = chunks.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append(" {\"text\": ").append(quote(c.text))
                    .append(", \"phonemes\": ").append(quote(c.phonemes))
                    .append(", \"samples\": ").append(c.audio.length)
                    .append(", \"durations\": ").append(java.util.Arrays.toString(c.durations))
                    .append(", \"dropped\": [");
            for (int j = 0; j < c.dropped.size(); j++) sb.append(j == 0 ? "" : ", ").append(quote(c.dropped.get(j)));
            sb.append("]}");
        }
        sb.append("\n]}\n");
        try (OutputStream o = new FileOutputStream(file)) {
            o.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.append('"').toString();
    }
}
