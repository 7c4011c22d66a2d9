package dev.kokorolitert.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bundle's manifest.json (format {@link BundleFormat#version}), the same fields runtime/bundle.py reads, plus the text
 * section the Java front-end needs: the lexicon file and the neural G2P graph (written by
 * converter/export.py). {@link #files} lists every file with its size and sha256 for
 * {@link Kokoro#open} to check.
 */
public final class Manifest {
    public static final int FORMAT_VERSION = BundleFormat.version();
    public static final String FILE = "manifest.json";

    /** A bundle file as the manifest lists it. */
    public static final class FileEntry {
        public final String name, sha256;
        public final long bytes;

        FileEntry(Map<String, Object> entry, String what) {
            name = Json.str(entry.get("file"), what + ".file");
            sha256 = Json.str(entry.get("sha256"), what + ".sha256");
            Object b = entry.get("bytes");
            if (!(b instanceof Long)) throw new IllegalArgumentException("manifest: " + what + ".bytes is not an integer");
            bytes = (Long) b;
        }
    }

    /** The neural G2P fallback graph: its signature and vocabularies (runtime/g2p_graph.py). */
    public static final class G2pGraph {
        public final String signature;
        public final String[] letters, phonemes;
        public final int maxLetters, maxPhonemes;
        /** The host-side refinement rules to apply to the graph's output; null (key absent): all of them. */
        public final List<String> rules;

        G2pGraph(Map<String, Object> e) {
            rules = e.containsKey("rules") ? Arrays.asList(strings(Json.arr(e.get("rules"), "text.g2p.rules"), "text.g2p.rules")) : null;
            signature = Json.str(e.get("signature"), "text.g2p.signature");
            letters = strings(Json.arr(e.get("letters"), "text.g2p.letters"), "text.g2p.letters");
            phonemes = strings(Json.arr(e.get("phonemes"), "text.g2p.phonemes"), "text.g2p.phonemes");
            maxLetters = Json.integer(e.get("max_letters"), "text.g2p.max_letters");
            maxPhonemes = Json.integer(e.get("max_phonemes"), "text.g2p.max_phonemes");
        }
    }

    public final int[] tokenBuckets;   // sorted
    public final int[] frameBuckets;   // sorted; the vocoder's frame buckets
    public final int[] prosodyFrameBuckets; // sorted; the prosody graph's ("prosody_frames", else "frames")
    /** symbol (one Unicode code point) -> id. */
    public final Map<Integer, Integer> vocab;
    public final int sampleRate, nFft, hop, samplesPerFrame, sourceFramesPerFrame;
    public final double sineAmp, noiseStd, voicedThreshold;
    public final int harmonics;
    public final double[] lLinearWeight; // [harmonics + 1]
    public final double lLinearBias;
    /** graph name ("predictor", "prosody", "vocoder") -> file name in the bundle. */
    public final Map<String, String> graphFiles;
    public final String voicesFile;
    public final List<String> voiceNames;
    /** The lexicon file (converter/lexicon.py), null in a bundle built before the Java front-end. */
    public final String lexiconFile;
    /** The neural G2P fallback graph, also in {@link #graphFiles} as "g2p"; null when absent. */
    public final G2pGraph g2pGraph;
    /** Every file of the bundle: graphs, voices, lexicon. */
    public final List<FileEntry> files;
    public final Map<String, Object> raw;
    /** model.weights_sha256: every graph's own metadata must name the same weights. */
    public final String weightsSha256;

    public Manifest(String json) {
        raw = Json.obj(Json.parse(json), "manifest");
        Object fmt = raw.get("format");
        if (!(fmt instanceof Long) || (Long) fmt != FORMAT_VERSION)
            throw new IllegalArgumentException("manifest: format " + fmt + ", this runtime reads " + FORMAT_VERSION);
        BundleFormat.validate(raw);
        weightsSha256 = Json.str(Json.obj(raw.get("model"), "model").get("weights_sha256"), "model.weights_sha256");
        Map<String, Object> buckets = Json.obj(raw.get("buckets"), "buckets");
        tokenBuckets = sortedInts(Json.arr(buckets.get("tokens"), "buckets.tokens"), "buckets.tokens");
        frameBuckets = sortedInts(Json.arr(buckets.get("frames"), "buckets.frames"), "buckets.frames");
        prosodyFrameBuckets = buckets.containsKey("prosody_frames")
                ? sortedInts(Json.arr(buckets.get("prosody_frames"), "buckets.prosody_frames"), "buckets.prosody_frames")
                : frameBuckets.clone();

        Map<Integer, Integer> v = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : Json.obj(raw.get("vocab"), "vocab").entrySet()) {
            String sym = e.getKey();
            if (sym.codePointCount(0, sym.length()) != 1)
                throw new IllegalArgumentException("manifest: vocab symbol '" + sym + "' is not one character");
            v.put(sym.codePointAt(0), Json.integer(e.getValue(), "vocab." + sym));
        }
        vocab = Collections.unmodifiableMap(v);

        Map<String, Object> audio = Json.obj(raw.get("audio"), "audio");
        sampleRate = Json.integer(audio.get("sample_rate"), "audio.sample_rate");
        nFft = Json.integer(audio.get("n_fft"), "audio.n_fft");
        hop = Json.integer(audio.get("hop"), "audio.hop");
        samplesPerFrame = Json.integer(audio.get("samples_per_frame"), "audio.samples_per_frame");
        sourceFramesPerFrame = Json.integer(audio.get("source_frames_per_frame"), "audio.source_frames_per_frame");

        Map<String, Object> src = Json.obj(raw.get("source"), "source");
        harmonics = Json.integer(src.get("harmonics"), "source.harmonics");
        sineAmp = Json.num(src.get("sine_amp"), "source.sine_amp");
        noiseStd = Json.num(src.get("noise_std"), "source.noise_std");
        voicedThreshold = Json.num(src.get("voiced_threshold"), "source.voiced_threshold");
        List<Object> w = Json.arr(src.get("l_linear_weight"), "source.l_linear_weight");
        lLinearWeight = new double[w.size()];
        for (int i = 0; i < w.size(); i++) lLinearWeight[i] = Json.num(w.get(i), "source.l_linear_weight");
        List<Object> b = Json.arr(src.get("l_linear_bias"), "source.l_linear_bias");
        lLinearBias = Json.num(b.get(0), "source.l_linear_bias");
        if (lLinearWeight.length != harmonics + 1)
            throw new IllegalArgumentException("manifest: l_linear_weight has " + lLinearWeight.length + " values, need " + (harmonics + 1));
        if (sampleRate != Dsp.SAMPLE_RATE || nFft != Dsp.N_FFT || hop != Dsp.HOP || samplesPerFrame != 2 * Dsp.UPSAMPLE_SCALE)
            throw new IllegalArgumentException("manifest: audio parameters differ from Kokoro-82M's (24 kHz, n_fft 20, hop 5)");

        Map<String, String> g = new LinkedHashMap<>();
        List<FileEntry> fs = new ArrayList<>();
        for (Map.Entry<String, Object> e : Json.obj(raw.get("graphs"), "graphs").entrySet()) {
            FileEntry f = new FileEntry(Json.obj(e.getValue(), "graphs." + e.getKey()), "graphs." + e.getKey());
            g.put(e.getKey(), f.name);
            fs.add(f);
        }

        Map<String, Object> voices = Json.obj(raw.get("voices"), "voices");
        fs.add(new FileEntry(voices, "voices"));
        voicesFile = Json.str(voices.get("file"), "voices.file");
        List<String> names = new ArrayList<>();
        for (Object o : Json.arr(voices.get("names"), "voices.names")) names.add(Json.str(o, "voices.names"));
        voiceNames = Collections.unmodifiableList(names);

        Map<String, Object> text = raw.containsKey("text") ? Json.obj(raw.get("text"), "text") : Collections.emptyMap();
        if (text.containsKey("lexicon")) {
            FileEntry lex = new FileEntry(Json.obj(text.get("lexicon"), "text.lexicon"), "text.lexicon");
            fs.add(lex);
            lexiconFile = lex.name;
        } else {
            lexiconFile = null;
        }
        if (text.containsKey("g2p")) {
            Map<String, Object> e = Json.obj(text.get("g2p"), "text.g2p");
            FileEntry f = new FileEntry(e, "text.g2p");
            fs.add(f);
            g.put("g2p", f.name);
            g2pGraph = new G2pGraph(e);
        } else {
            g2pGraph = null;
        }
        graphFiles = Collections.unmodifiableMap(g);
        files = Collections.unmodifiableList(fs);
    }

    private static String[] strings(List<Object> list, String what) {
        String[] a = new String[list.size()];
        for (int i = 0; i < a.length; i++) a[i] = Json.str(list.get(i), what);
        return a;
    }

    public static Manifest read(InputStream in) throws IOException {
        return new Manifest(new String(readAll(in), StandardCharsets.UTF_8));
    }

    public static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) out.write(buf, 0, n);
        return out.toByteArray();
    }

    private static int[] sortedInts(List<Object> list, String what) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) a[i] = Json.integer(list.get(i), what);
        java.util.Arrays.sort(a);
        if (a.length == 0) throw new IllegalArgumentException("manifest: " + what + " is empty");
        return a;
    }

    /** Smallest token bucket >= n, or -1 (bundle.pick_tokens). */
    public int pickTokens(int n) {
        for (int t : tokenBuckets) if (t >= n) return t;
        return -1;
    }

    /** Smallest vocoder frame bucket >= n, or -1 (bundle.pick_frames). */
    public int pickFrames(int n) {
        return pickFrames(n, "vocoder");
    }

    /** Smallest frame bucket >= n of "prosody" or "vocoder", or -1 (bundle.pick_frames(n, graph)). */
    public int pickFrames(int n, String graph) {
        for (int f : "prosody".equals(graph) ? prosodyFrameBuckets : frameBuckets) if (f >= n) return f;
        return -1;
    }

    /** The signatures a graph of this bundle must hold (its buckets), sorted as the metadata lists them. */
    public List<String> signatures(String graph) {
        List<String> out = new ArrayList<>();
        if ("predictor".equals(graph)) for (int t : tokenBuckets) out.add(tokenSignature(t));
        else if ("prosody".equals(graph)) for (int f : prosodyFrameBuckets) out.add(frameSignature(f));
        else if ("vocoder".equals(graph)) for (int f : frameBuckets) out.add(frameSignature(f));
        else if ("g2p".equals(graph) && g2pGraph != null) out.add(g2pGraph.signature);
        Collections.sort(out);
        return out;
    }

    public static String tokenSignature(int t) {
        return "T" + t;
    }

    public static String frameSignature(int frames) {
        return "L" + frames;
    }
}
