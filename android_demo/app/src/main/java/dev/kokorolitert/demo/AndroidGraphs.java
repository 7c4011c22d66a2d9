/*
 * LiteRT API used here: the CompiledModel API of the Maven artifact com.google.ai.edge.litert:litert
 * (pinned in app/build.gradle), read from its Kotlin sources in google-ai-edge/LiteRT:
 *   litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Model.kt        (CompiledModel, Options, CpuOptions, TensorType)
 *   litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/TensorBuffer.kt (writeFloat/writeInt/readFloat/readInt)
 *   litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Common.kt       (Accelerator, JniHandle.close)
 *   litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Environment.kt  (Environment.create, getAvailableAccelerators)
 *   litert/kotlin/src/main/jni/litert_compiled_model_jni.cc, litert_tensor_buffer_jni.cc (what the JNI fills in / checks)
 * at tag v2.2.0 (commit 145c7523ff08d5e57ab5c582141775eea47da9c7) and on main at
 * f67457790c9c2ab67347d6fe53270e8d3df20868 (2026-08-21, after the 2.3.0 version bump); Model.kt,
 * TensorBuffer.kt and Common.kt are identical at both. Called from Java as the Kotlin compiler exposes it:
 *   CompiledModel.create(String path, Options, Environment)   @JvmStatic @JvmOverloads companion method
 *   new CompiledModel.Options(Accelerator...)                  vararg secondary constructor
 *   options.setCpuOptions(new CompiledModel.CpuOptions(Integer numThreads, Integer xnnPackFlags, String xnnPackWeightCachePath))
 *                                                              data class without @JvmOverloads: the full constructor
 *   model.createInputBuffer(name, signature), createOutputBuffer(name, signature), getInputTensorType(name, signature),
 *   run(Map, Map, signature)                                   no @JvmOverloads: the signature argument is mandatory in Java
 * LiteRtException is a checked exception (class LiteRtException : Exception, methods marked @Throws).
 * The same signatures are stubbed in android_demo/stubs (compile check: tests/test_android_app.py).
 */
package dev.kokorolitert.demo;

import com.google.ai.edge.litert.Accelerator;
import com.google.ai.edge.litert.CompiledModel;
import com.google.ai.edge.litert.Environment;
import com.google.ai.edge.litert.LiteRtException;
import com.google.ai.edge.litert.TensorBuffer;
import com.google.ai.edge.litert.TensorType;

import dev.kokorolitert.core.Graphs;
import dev.kokorolitert.core.Manifest;
import dev.kokorolitert.core.Tensor;
import dev.kokorolitert.core.TfliteFile;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Graphs} on Android through the LiteRT CompiledModel API: one CompiledModel per graph file
 * of the bundle (the manifest's graphs, and the neural G2P graph when the bundle has one), all in
 * one LiteRT Environment.
 *
 * <ul>
 *   <li>CPU (XNNPACK) by default, with the XNNPACK weight cache in the app's cache dir and the flags
 *       runtime/bundle.py uses; {@code gpu} asks for the GPU accelerator with the CPU for what it
 *       cannot run (needs the litert-gpu artifact from LiteRT 2.3.0 on, and fails loudly if the
 *       environment has no GPU accelerator instead of running on the CPU unnoticed).
 *   <li>A signature's input and output names come from the .tflite file ({@link TfliteFile}:
 *       the Kotlin API cannot list them); their element types and shapes from the compiled model
 *       ({@code getInputTensorType}/{@code getOutputTensorType}).
 *   <li>Buffers are created per signature on its first run and reused. Inputs are checked against
 *       the model (name, element type, shape) before they are written: TensorBuffer.write* checks
 *       neither the element type nor the length.
 * </ul>
 */
public final class AndroidGraphs implements Graphs {
    /**
     * XNNPACK delegate flags, as runtime/bundle.py: its defaults (QS8 | QU8 = 0x3) plus
     * TRANSIENT_INDIRECTION_BUFFER (0x20), which keeps the convolutions' indirection buffers in the
     * shared workspace instead of one per operator per bucket (same output, less memory).
     */
    static final int XNNPACK_FLAGS = 0x3 | 0x20;

    /**
     * How much per-bucket state a graph may keep prepared, as a multiple of its largest bucket's
     * length (runtime/bundle.py STATE_BUDGET): CompiledModel keeps what it set up for a signature
     * until the model is freed, and the vocoder's state grows with its bucket. Preparing one bucket
     * more than this recompiles the graph first (cheap with the weight cache). CPU only: a GPU
     * recompilation is slow.
     */
    private static final Map<String, Double> STATE_BUDGET = new HashMap<>();

    static {
        STATE_BUDGET.put("vocoder", 1.0);
    }

    private final Environment env;
    private final boolean gpu;
    private final int threads;
    private final File weightCacheDir;
    private final Map<String, Graph> graphs = new LinkedHashMap<>();
    private final String description;

    /**
     * @param bundleDir the bundle directory (graph files named by the manifest)
     * @param cacheDir  where the XNNPACK weight caches go (the app's cache dir; rebuilt when cleared)
     * @param gpu       use the GPU accelerator (with CPU fallback for unsupported ops)
     * @param threads   CPU threads for XNNPACK
     */
    public AndroidGraphs(File bundleDir, Manifest manifest, File cacheDir, boolean gpu, int threads) throws Exception {
        this.gpu = gpu;
        this.threads = threads;
        this.weightCacheDir = new File(cacheDir, "xnnpack");
        if (!weightCacheDir.isDirectory() && !weightCacheDir.mkdirs())
            throw new java.io.IOException("cannot create " + weightCacheDir);
        env = Environment.create();
        try {
            Set<Accelerator> available = env.getAvailableAccelerators();
            if (gpu && !available.contains(Accelerator.GPU))
                throw new IllegalStateException("the GPU accelerator is not available (LiteRT reports " + available
                        + "): the APK needs com.google.ai.edge.litert:litert-gpu and the device an OpenCL/OpenGL GPU driver");
            for (Map.Entry<String, String> e : manifest.graphFiles.entrySet())
                graphs.put(e.getKey(), new Graph(e.getKey(), new File(bundleDir, e.getValue()), cacheKey(manifest, e.getValue())));
        } catch (Exception | Error e) {
            close();
            throw e;
        }
        description = (gpu ? "GPU + CPU" : "CPU (XNNPACK)") + ", " + threads + " threads";
    }

    /** e.g. "CPU (XNNPACK), 4 threads", for the status line. */
    public String describe() {
        return description;
    }

    /** How often a graph was recompiled to release bucket state (see STATE_BUDGET). */
    public synchronized int reloads() {
        int n = 0;
        for (Graph g : graphs.values()) n += g.reloads;
        return n;
    }

    /** Keys a weight cache file to the graph's content: its sha256 from the manifest, else its size. */
    private static String cacheKey(Manifest manifest, String fileName) {
        for (Manifest.FileEntry f : manifest.files)
            if (f.name.equals(fileName) && f.sha256.length() >= 20) return f.sha256.substring(0, 20);
        return "unhashed";
    }

    @Override
    public synchronized Map<String, Tensor> run(String graph, String signature, Map<String, Tensor> inputs) throws Exception {
        Graph g = graphs.get(graph);
        if (g == null) throw new IllegalArgumentException("no graph '" + graph + "' in the bundle (has " + graphs.keySet() + ")");
        return g.run(signature, inputs);
    }

    @Override
    public synchronized void close() {
        for (Graph g : graphs.values()) g.close();
        graphs.clear();
        if (env != null) env.close();
    }

    /** A signature's buffers and the model's types and shapes for them. */
    private static final class Prepared {
        final int size; // the bucket length (T or L), 0 when the key carries none
        final Map<String, TensorBuffer> in = new LinkedHashMap<>(), out = new LinkedHashMap<>();
        final Map<String, TensorType.ElementType> inTypes = new HashMap<>(), outTypes = new HashMap<>();
        final Map<String, int[]> inShapes = new HashMap<>(), outShapes = new HashMap<>();

        Prepared(int size) {
            this.size = size;
        }

        void close() {
            for (TensorBuffer b : in.values()) b.close();
            for (TensorBuffer b : out.values()) b.close();
            in.clear();
            out.clear();
        }
    }

    private final class Graph {
        final String name;
        final File file;
        final File weightCache;
        final Map<String, TfliteFile.Signature> table;
        final double budget;
        final Map<String, Prepared> prepared = new LinkedHashMap<>();
        CompiledModel model;
        int reloads;

        Graph(String name, File file, String key) throws Exception {
            this.name = name;
            this.file = file;
            if (!file.isFile()) throw new java.io.FileNotFoundException(file + ": no such graph file");
            this.table = TfliteFile.read(file).signatures;
            if (table.isEmpty()) throw new IllegalArgumentException(file + ": the graph has no signatures");
            this.weightCache = new File(weightCacheDir, name + "-" + key + "-x" + Integer.toHexString(XNNPACK_FLAGS) + ".xnn");
            int largest = 0;
            for (String k : table.keySet()) largest = Math.max(largest, bucketSize(k));
            Double share = STATE_BUDGET.get(name);
            this.budget = gpu || share == null ? Double.POSITIVE_INFINITY : share * largest;
            this.model = compile();
        }

        CompiledModel compile() throws LiteRtException {
            CompiledModel.Options options = gpu
                    ? new CompiledModel.Options(Accelerator.GPU, Accelerator.CPU)
                    : new CompiledModel.Options(Accelerator.CPU);
            options.setCpuOptions(new CompiledModel.CpuOptions(threads, XNNPACK_FLAGS, weightCache.getAbsolutePath()));
            return CompiledModel.create(file.getAbsolutePath(), options, env);
        }

        Prepared prepare(String signature) throws Exception {
            Prepared p = prepared.get(signature);
            if (p != null) return p;
            if (model == null) model = compile(); // a failed recompilation left none
            TfliteFile.Signature sig = table.get(signature);
            if (sig == null)
                throw new IllegalArgumentException(file.getName() + " has no signature " + signature + " (has " + table.keySet() + ")");
            int size = bucketSize(signature);
            int held = 0;
            for (Prepared q : prepared.values()) held += q.size;
            if (!prepared.isEmpty() && held + size > budget) {
                release(); // the buffers first, then the model that owns the state
                model.close();
                model = null;
                model = compile();
                reloads++;
            }
            p = new Prepared(size);
            try {
                for (String input : sig.inputs) {
                    TensorType t = model.getInputTensorType(input, signature);
                    p.inTypes.put(input, t.getElementType());
                    p.inShapes.put(input, shape(t, signature + "." + input));
                    p.in.put(input, model.createInputBuffer(input, signature));
                }
                for (String output : sig.outputs) {
                    TensorType t = model.getOutputTensorType(output, signature);
                    TensorType.ElementType type = t.getElementType();
                    if (type != TensorType.ElementType.FLOAT && type != TensorType.ElementType.INT)
                        throw new IllegalArgumentException(name + " " + signature + "." + output + ": element type " + type + " is not float32/int32");
                    p.outTypes.put(output, type);
                    p.outShapes.put(output, shape(t, signature + "." + output));
                    p.out.put(output, model.createOutputBuffer(output, signature));
                }
            } catch (Exception | Error e) {
                p.close();
                throw e;
            }
            prepared.put(signature, p);
            return p;
        }

        Map<String, Tensor> run(String signature, Map<String, Tensor> inputs) throws Exception {
            Prepared p = prepare(signature);
            for (String given : inputs.keySet())
                if (!p.in.containsKey(given))
                    throw new IllegalArgumentException(name + " " + signature + " has no input '" + given + "' (has " + p.in.keySet() + ")");
            // every input checked before any is written: TensorBuffer.write* checks neither type nor length
            for (String input : p.in.keySet()) {
                Tensor t = inputs.get(input);
                if (t == null) throw new IllegalArgumentException(name + " " + signature + ": input '" + input + "' missing");
                int[] want = p.inShapes.get(input);
                if (!Arrays.equals(want, t.shape))
                    throw new IllegalArgumentException(name + " " + signature + "." + input + ": shape " + Arrays.toString(t.shape)
                            + ", the graph wants " + Arrays.toString(want));
                TensorType.ElementType type = p.inTypes.get(input);
                boolean ok = type == TensorType.ElementType.FLOAT ? t.isFloat() : type == TensorType.ElementType.INT && !t.isFloat();
                if (!ok)
                    throw new IllegalArgumentException(name + " " + signature + "." + input + ": the graph wants " + type + ", got " + t);
            }
            for (Map.Entry<String, TensorBuffer> e : p.in.entrySet()) {
                Tensor t = inputs.get(e.getKey());
                if (t.isFloat()) e.getValue().writeFloat(t.floats);
                else e.getValue().writeInt(t.ints);
            }
            model.run(p.in, p.out, signature);
            Map<String, Tensor> result = new LinkedHashMap<>();
            for (Map.Entry<String, TensorBuffer> e : p.out.entrySet()) {
                String output = e.getKey();
                int[] shape = p.outShapes.get(output);
                long count = 1;
                for (int d : shape) count *= d;
                Tensor t;
                if (p.outTypes.get(output) == TensorType.ElementType.FLOAT) {
                    float[] data = e.getValue().readFloat();
                    if (data.length != count) throw new IllegalStateException(name + " " + signature + "." + output + ": read " + data.length + " values, shape holds " + count);
                    t = Tensor.of(data, shape);
                } else {
                    int[] data = e.getValue().readInt();
                    if (data.length != count) throw new IllegalStateException(name + " " + signature + "." + output + ": read " + data.length + " values, shape holds " + count);
                    t = Tensor.of(data, shape);
                }
                result.put(output, t);
            }
            return result;
        }

        void release() {
            for (Prepared p : prepared.values()) p.close();
            prepared.clear();
        }

        void close() {
            release();
            if (model != null) model.close();
            model = null;
        }
    }

    /** The model's static shape for one input or output. */
    private static int[] shape(TensorType t, String what) {
        TensorType.Layout layout = t.getLayout();
        if (layout == null) throw new IllegalArgumentException(what + ": the model reports no layout");
        List<Integer> dims = new ArrayList<>(layout.getDimensions());
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
            if (shape[i] < 0) throw new IllegalArgumentException(what + ": dynamic dimension in " + dims + " (bundles use fixed buckets)");
        }
        return shape;
    }

    /** The length in a bucket's signature key ("T32" -> 32, "L128" -> 128); 0 for a key without one. */
    static int bucketSize(String signature) {
        int i = signature.length();
        while (i > 0 && Character.isDigit(signature.charAt(i - 1))) i--;
        if (i == signature.length()) return 0;
        try {
            return Integer.parseInt(signature.substring(i));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
