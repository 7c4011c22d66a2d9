package dev.kokorolitert.core;

import dev.kokorolitert.core.text.Chunker;
import dev.kokorolitert.core.text.G2p;
import dev.kokorolitert.core.text.GraphG2p;
import dev.kokorolitert.core.text.Lexicon;
import dev.kokorolitert.core.text.TextChunk;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Text -> speech with a bundle: the Java twin of runtime/pipeline.py {@code Kokoro}. Text is
 * normalised, chunked (sentences, clauses of over-long sentences) and phonemized by the lexicon G2P
 * with the bundle's neural fallback for unknown words; each chunk is spoken whole by
 * {@link KokoroEngine}, its edges faded and the pause its punctuation asks for appended.
 * Chunks are synthesised lazily, one per {@code next()} of {@link #stream}, so a caller can play
 * each as it comes and stop between them.
 */
public final class Kokoro implements AutoCloseable {
    public static final int SAMPLE_RATE = Dsp.SAMPLE_RATE;
    public static final float MIN_SPEED = 0.5f, MAX_SPEED = 2.0f;
    private static final double FADE_S = 0.005;

    /** Opens the bundle's graphs (LiteRT through JNA on a desktop, the LiteRT AAR on Android). */
    public interface GraphLoader {
        Graphs load(File bundleDir, Manifest manifest) throws Exception;
    }

    /** A bundle file is missing, has the wrong size or fails its sha256. */
    public static final class BundleError extends IOException {
        public BundleError(String msg) {
            super(msg);
        }
    }

    /** One chunk of speech: its normalised text, phonemes, audio (speech + pause) and what was dropped. */
    public static final class Chunk {
        public final String text, phonemes;
        public final float[] audio;
        public final int[] durations; // frames per token of each predictor pass, boundary tokens included
        public final List<String> dropped;

        Chunk(String text, String phonemes, float[] audio, int[] durations, List<String> dropped) {
            this.text = text;
            this.phonemes = phonemes;
            this.audio = audio;
            this.durations = durations;
            this.dropped = dropped;
        }
    }

    private final Manifest manifest;
    private final Graphs graphs;
    private final KokoroEngine engine;
    private final Tokenizer tokenizer;
    private final Voices voices;
    private final G2p g2p;
    private final int spaceId;

    private Kokoro(Manifest manifest, Graphs graphs, Voices voices, Lexicon lexicon) {
        this.manifest = manifest;
        this.graphs = graphs;
        this.engine = new KokoroEngine(manifest, graphs);
        this.tokenizer = new Tokenizer(manifest.vocab);
        this.voices = voices;
        Manifest.G2pGraph g = manifest.g2pGraph;
        this.g2p = new G2p(lexicon, g == null ? null : new GraphG2p(graphs, g.signature, g.letters, g.phonemes, g.maxLetters, g.maxPhonemes, g.rules));
        Integer space = manifest.vocab.get((int) ' ');
        this.spaceId = space == null ? -1 : space;
    }

    /** Reads and checks the bundle (sizes always; sha256 of every file when {@code verify}), then loads the graphs. */
    public static Kokoro open(File bundleDir, GraphLoader loader, boolean verify) throws Exception {
        if (!new File(bundleDir, Manifest.FILE).isFile())
            throw new BundleError(bundleDir + ": no " + Manifest.FILE + " (build one with kokoro-litert build)");
        Manifest manifest;
        try (InputStream in = new FileInputStream(new File(bundleDir, Manifest.FILE))) {
            manifest = Manifest.read(in);
        }
        if (manifest.lexiconFile == null)
            throw new BundleError(bundleDir + ": the bundle has no lexicon (rebuild it with kokoro-litert build)");
        for (Manifest.FileEntry f : manifest.files) check(new File(bundleDir, f.name), f, verify);
        for (Map.Entry<String, String> g : manifest.graphFiles.entrySet())
            checkGraph(new File(bundleDir, g.getValue()), g.getKey(), manifest);
        Voices voices;
        try (InputStream in = new FileInputStream(new File(bundleDir, manifest.voicesFile))) {
            voices = Voices.readNpz(in);
        }
        Lexicon lexicon;
        try (InputStream in = new FileInputStream(new File(bundleDir, manifest.lexiconFile))) {
            lexicon = Lexicon.read(in);
        }
        return new Kokoro(manifest, loader.load(bundleDir, manifest), voices, lexicon);
    }

    public static Kokoro open(File bundleDir, GraphLoader loader) throws Exception {
        return open(bundleDir, loader, true);
    }

    public Manifest manifest() {
        return manifest;
    }

    public List<String> voices() {
        return voices.names();
    }

    /** The chunks {@link #stream} would speak, without synthesis. */
    public Iterator<TextChunk> chunks(String text) {
        return Chunker.split(text, g2p, tokenizer, manifest.tokenBuckets[manifest.tokenBuckets.length - 1]);
    }

    /** Speech chunk by chunk; source noise drawn from {@code rng} (null: a noise-free source). */
    public Iterator<Chunk> stream(String text, String voice, float speed, Random rng) {
        return stream(text, voice, speed, rng == null ? null : samples -> SourceNoise.draw(rng, samples));
    }

    /**
     * Speech chunk by chunk; {@code noiseFor} supplies each predictor pass's source noise in order
     * (null: noise-free). Bad voice, speed or text fail here, before any synthesis.
     */
    public Iterator<Chunk> stream(String text, String voice, float speed, IntFunction<SourceNoise> noiseFor) {
        if (!(speed >= MIN_SPEED && speed <= MAX_SPEED))
            throw new IllegalArgumentException("speed " + speed + " is outside " + MIN_SPEED + "-" + MAX_SPEED);
        float[] pack = voices.pack(voice);
        Iterator<TextChunk> chunks = chunks(text);
        chunks.hasNext(); // the chunker's text errors (empty, unfittable word) surface now
        return new Iterator<Chunk>() {
            @Override
            public boolean hasNext() {
                return chunks.hasNext();
            }

            @Override
            public Chunk next() {
                TextChunk c = chunks.next();
                try {
                    return speak(c, pack, speed, noiseFor);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** The whole text as one array (chunks and their pauses concatenated). */
    public float[] synthesize(String text, String voice, float speed, Random rng) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (Iterator<Chunk> it = stream(text, voice, speed, rng); it.hasNext(); ) {
            float[] a = it.next().audio;
            parts.add(a);
            total += a.length;
        }
        float[] out = new float[total];
        int pos = 0;
        for (float[] a : parts) {
            System.arraycopy(a, 0, out, pos, a.length);
            pos += a.length;
        }
        return out;
    }

    private Chunk speak(TextChunk c, float[] pack, float speed, IntFunction<SourceNoise> noiseFor) throws Exception {
        List<KokoroEngine.Utterance> parts = new ArrayList<>();
        speakParts(c.ids, pack, speed, noiseFor, parts);
        List<float[]> audio = new ArrayList<>();
        List<Integer> durations = new ArrayList<>();
        for (KokoroEngine.Utterance u : parts) {
            audio.add(u.audio);
            for (int d : u.durations) durations.add(d);
        }
        float[] speech = Dsp.fadeEdges(Dsp.join(audio, new double[audio.size() - 1], FADE_S), FADE_S, true, true);
        int pause = (int) Math.rint(c.pauseS * SAMPLE_RATE);
        float[] out = java.util.Arrays.copyOf(speech, speech.length + pause);
        return new Chunk(c.text, c.phonemes, out, durations.stream().mapToInt(Integer::intValue).toArray(),
                Collections.unmodifiableList(c.dropped));
    }

    /**
     * runtime/pipeline.py {@code _prepare_parts}: a chunk whose frames overflow the largest bucket
     * is split at the word boundary nearest its middle and each half is spoken on its own.
     */
    private void speakParts(int[] ids, float[] pack, float speed, IntFunction<SourceNoise> noiseFor,
                            List<KokoroEngine.Utterance> out) throws Exception {
        try {
            out.add(engine.speak(ids, Voices.styleFor(pack, ids.length), speed, noiseFor));
        } catch (KokoroEngine.FramesOverflow e) {
            int cut = -1;
            for (int i = 0; i < ids.length; i++)
                if (ids[i] == spaceId && (cut < 0 || Math.abs(i - ids.length / 2.0) < Math.abs(cut - ids.length / 2.0))) cut = i;
            if (cut < 0) throw e;
            speakParts(java.util.Arrays.copyOfRange(ids, 0, cut), pack, speed, noiseFor, out);
            speakParts(java.util.Arrays.copyOfRange(ids, cut + 1, ids.length), pack, speed, noiseFor, out);
        }
    }

    private static void check(File file, Manifest.FileEntry entry, boolean verify) throws IOException {
        if (!file.isFile()) throw new BundleError(file + ": missing (listed in the manifest)");
        if (file.length() != entry.bytes)
            throw new BundleError(file + ": " + file.length() + " bytes, the manifest says " + entry.bytes + " (truncated or replaced)");
        if (verify && !entry.sha256.equals(sha256(file)))
            throw new BundleError(file + ": sha256 does not match the manifest (corrupt or replaced file)");
    }

    /** A graph's own kokoro_litert record must match the manifest (runtime/bundle.py does the same). */
    private static void checkGraph(File file, String graph, Manifest manifest) throws IOException {
        TfliteFile tflite = TfliteFile.read(file);
        String record = tflite.metadata.get(TfliteFile.METADATA_KEY);
        Map<String, Object> meta = null;
        try {
            if (record != null) meta = Json.obj(Json.parse(record), "metadata");
        } catch (IllegalArgumentException e) {
            meta = null;
        }
        List<String> want = manifest.signatures(graph);
        boolean ok = meta != null && Long.valueOf(Manifest.FORMAT_VERSION).equals(meta.get("format"))
                && graph.equals(meta.get("graph")) && want.equals(meta.get("signatures"))
                && want.equals(new java.util.ArrayList<>(new java.util.TreeSet<>(tflite.signatures.keySet())));
        if (ok && !"g2p".equals(graph)) ok = manifest.weightsSha256.equals(meta.get("weights_sha256"));
        if (!ok)
            throw new BundleError(file + ": its own metadata " + record + " and signatures " + tflite.signatures.keySet()
                    + " do not match the manifest (graph " + graph + ", signatures " + want + "): a graph from another build");
    }

    static String sha256(File file) throws IOException {
        try (InputStream in = new FileInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            StringBuilder sb = new StringBuilder();
            for (byte b : md.digest()) sb.append(String.format("%02x", b));
            return sb.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        graphs.close();
    }
}
