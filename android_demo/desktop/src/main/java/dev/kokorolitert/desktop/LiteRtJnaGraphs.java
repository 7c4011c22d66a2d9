package dev.kokorolitert.desktop;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.kokorolitert.core.Graphs;
import dev.kokorolitert.core.Manifest;
import dev.kokorolitert.core.Tensor;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link Graphs} on a desktop JVM: the LiteRT C API of libLiteRt.so (shipped in the
 * ai-edge-litert 2.3.0 wheel) called through JNA. One LiteRtCompiledModel per graph file (CPU),
 * one set of managed host tensor buffers per signature, created on first use and reused.
 *
 * Entry points used (ai-edge-litert 2.3.0): LiteRtCreateEnvironment(n, opts, &env),
 * LiteRtCreateModelFromFile(env, path, &model), LiteRtGetNumModelSignatures / LiteRtGetModelSignature
 * / LiteRtGetSignatureKey / LiteRtGetNumSignatureInputs / LiteRtGetSignatureInputName /
 * LiteRtGetSignatureInputTensorByIndex (and the Output twins), LiteRtGetRankedTensorType,
 * LiteRtCreateOptions / LiteRtSetOptionsHardwareAccelerators, LiteRtCreateCompiledModel,
 * LiteRtGetCompiledModel{Input,Output}BufferRequirements,
 * LiteRtCreateManagedTensorBufferFromRequirements, LiteRtLock/UnlockTensorBuffer,
 * LiteRtGetTensorBufferPackedSize, LiteRtRunCompiledModel and the Destroy calls.
 */
public final class LiteRtJnaGraphs implements Graphs {
    private static final int K_LITERT_STATUS_OK = 0;
    private static final int K_HW_ACCELERATOR_CPU = 1;
    private static final int LOCK_READ = 0, LOCK_WRITE = 1;
    // LiteRtElementType values (TfLiteType numbering)
    private static final int ELEM_FLOAT32 = 1, ELEM_INT32 = 2;
    // sizeof(LiteRtRankedTensorType) is 72 bytes in 2.3.0 (type, rank bitfield, dims[8], strides[8]); room to spare
    private static final int TENSOR_TYPE_BYTES = 512;

    // XNNPACK's default flags (QS8 | QU8) plus TRANSIENT_INDIRECTION_BUFFER, as runtime/bundle.py XNNPACK_FLAGS
    private static final int XNNPACK_FLAGS = 0x3 | 0x20;
    private static final int THREADS = 2; // the Python runtime's default
    private final File cacheDir;
    private final NativeLibrary lib;
    private final Pointer env;
    private final Map<String, Model> models = new LinkedHashMap<>();

    private static String sha256Of(Manifest manifest, String file) {
        for (Manifest.FileEntry f : manifest.files) if (f.name.equals(file)) return f.sha256;
        throw new IllegalStateException("manifest lists no sha256 for " + file);
    }

    static File defaultCacheDir() {
        String root = System.getenv("KOKORO_LITERT_CACHE");
        return new File(root != null && !root.isEmpty() ? new File(root) : new File(System.getProperty("user.home"), ".cache/kokoro-litert"),
                "xnnpack-java");
    }

    /** Finds libLiteRt.so: $KOKORO_LITERT_LIB, else the ai_edge_litert package next to a Python venv. */
    public static File findLibrary() {
        String env = System.getenv("KOKORO_LITERT_LIB");
        if (env != null && !env.isEmpty()) return new File(env);
        throw new IllegalStateException("set KOKORO_LITERT_LIB to .../site-packages/ai_edge_litert/libLiteRt.so");
    }

    public LiteRtJnaGraphs(File libLiteRt, File bundleDir, Manifest manifest) {
        this(libLiteRt, bundleDir, manifest, defaultCacheDir());
    }

    /** XNNPACK weight caches go to {@code cacheDir} (null: none): $KOKORO_LITERT_CACHE/xnnpack-java, else ~/.cache/kokoro-litert/xnnpack-java. */
    public LiteRtJnaGraphs(File libLiteRt, File bundleDir, Manifest manifest, File cacheDir) {
        this.cacheDir = cacheDir;
        if (cacheDir != null && !cacheDir.isDirectory() && !cacheDir.mkdirs())
            throw new IllegalStateException("cannot create " + cacheDir);
        lib = NativeLibrary.getInstance(libLiteRt.getAbsolutePath());
        PointerByReference e = new PointerByReference();
        check(call("LiteRtCreateEnvironment", 0, null, e), "LiteRtCreateEnvironment");
        env = e.getValue();
        for (Map.Entry<String, String> g : manifest.graphFiles.entrySet())
            models.put(g.getKey(), new Model(new File(bundleDir, g.getValue()), sha256Of(manifest, g.getValue())));
    }

    /**
     * XNNPACK's CPU options as LiteRT's C++ options helper passes them: opaque options with the
     * identifier "xnnpack" and a TOML string payload (litert/c/options/litert_cpu_options.cc). The
     * weight cache matters: without it XNNPACK packs the unrolled LSTMs' weights once per step
     * (several GB); with it every signature maps one packed file, as runtime/bundle.py does.
     */
    private void addXnnpackOptions(Pointer options, File model, String sha256) {
        String name = model.getName().replaceAll("\\.tflite$", "") + "-" + sha256.substring(0, 20) + "-x" + Integer.toHexString(XNNPACK_FLAGS) + ".xnn";
        String toml = "num_threads = " + THREADS + "\nflags = " + XNNPACK_FLAGS
                + "\nweight_cache_file_path = \"" + new File(cacheDir, name).getPath() + "\"\n";
        NativeLibrary libc = NativeLibrary.getInstance("c");
        Pointer payload = (Pointer) libc.getFunction("strdup").invoke(Pointer.class, new Object[]{toml});
        PointerByReference opaque = new PointerByReference();
        check(call("LiteRtCreateOpaqueOptions", "xnnpack", payload, libc.getFunction("free"), opaque), "LiteRtCreateOpaqueOptions");
        check(call("LiteRtAddOpaqueOptions", options, opaque.getValue()), "LiteRtAddOpaqueOptions");
    }

    private int call(String name, Object... args) {
        Function f = lib.getFunction(name);
        return f.invokeInt(args);
    }

    private static void check(int status, String what) {
        if (status != K_LITERT_STATUS_OK) throw new IllegalStateException(what + " failed: LiteRtStatus " + status);
    }

    private static final class Signature {
        final int index;
        final String key;
        final List<String> inputNames = new ArrayList<>();
        final List<String> outputNames = new ArrayList<>();
        final List<int[]> inputShapes = new ArrayList<>();
        final List<int[]> outputShapes = new ArrayList<>();
        final List<Integer> inputTypes = new ArrayList<>();
        final List<Integer> outputTypes = new ArrayList<>();
        Pointer[] inBuffers, outBuffers; // created on first run

        Signature(int index, String key) {
            this.index = index;
            this.key = key;
        }
    }

    private final class Model {
        final File path;
        final Pointer model, compiled, options;
        final Map<String, Signature> signatures = new LinkedHashMap<>();

        Model(File path, String sha256) {
            this.path = path;
            if (!path.isFile()) throw new IllegalArgumentException(path + ": no such graph file");
            PointerByReference ref = new PointerByReference();
            check(call("LiteRtCreateModelFromFile", env, path.getAbsolutePath(), ref), "LiteRtCreateModelFromFile(" + path + ")");
            model = ref.getValue();
            Memory num = new Memory(8);
            num.setLong(0, 0);
            check(call("LiteRtGetNumModelSignatures", model, num), "LiteRtGetNumModelSignatures");
            long nSig = num.getLong(0);
            for (int s = 0; s < nSig; s++) {
                PointerByReference sig = new PointerByReference();
                check(call("LiteRtGetModelSignature", model, (long) s, sig), "LiteRtGetModelSignature");
                Pointer sp = sig.getValue();
                PointerByReference key = new PointerByReference();
                check(call("LiteRtGetSignatureKey", sp, key), "LiteRtGetSignatureKey");
                Signature signature = new Signature(s, key.getValue().getString(0, "UTF-8"));
                describe(sp, true, signature);
                describe(sp, false, signature);
                signatures.put(signature.key, signature);
            }
            PointerByReference opts = new PointerByReference();
            check(call("LiteRtCreateOptions", opts), "LiteRtCreateOptions");
            options = opts.getValue();
            check(call("LiteRtSetOptionsHardwareAccelerators", options, K_HW_ACCELERATOR_CPU), "LiteRtSetOptionsHardwareAccelerators");
            if (cacheDir != null) addXnnpackOptions(options, path, sha256);
            PointerByReference cm = new PointerByReference();
            check(call("LiteRtCreateCompiledModel", env, model, options, cm), "LiteRtCreateCompiledModel(" + path + ")");
            compiled = cm.getValue();
        }

        private void describe(Pointer sp, boolean inputs, Signature sig) {
            String side = inputs ? "Input" : "Output";
            Memory num = new Memory(8);
            num.setLong(0, 0);
            check(call("LiteRtGetNumSignature" + side + "s", sp, num), "LiteRtGetNumSignature" + side + "s");
            long n = num.getLong(0);
            for (int i = 0; i < n; i++) {
                PointerByReference name = new PointerByReference();
                check(call("LiteRtGetSignature" + side + "Name", sp, (long) i, name), "LiteRtGetSignature" + side + "Name");
                PointerByReference tensor = new PointerByReference();
                check(call("LiteRtGetSignature" + side + "TensorByIndex", sp, (long) i, tensor), "LiteRtGetSignature" + side + "TensorByIndex");
                Memory type = new Memory(TENSOR_TYPE_BYTES);
                type.clear();
                check(call("LiteRtGetRankedTensorType", tensor.getValue(), type), "LiteRtGetRankedTensorType");
                int elem = type.getInt(0);
                int rank = type.getByte(4) & 0x7f;
                int[] shape = new int[rank];
                for (int d = 0; d < rank; d++) shape[d] = type.getInt(8 + 4 * d);
                (inputs ? sig.inputNames : sig.outputNames).add(name.getValue().getString(0, "UTF-8"));
                (inputs ? sig.inputShapes : sig.outputShapes).add(shape);
                (inputs ? sig.inputTypes : sig.outputTypes).add(elem);
            }
        }

        private Pointer[] buffers(Signature sig, boolean inputs) {
            String side = inputs ? "Input" : "Output";
            int n = (inputs ? sig.inputNames : sig.outputNames).size();
            Pointer[] out = new Pointer[n];
            PointerByReference sref = new PointerByReference();
            check(call("LiteRtGetModelSignature", model, (long) sig.index, sref), "LiteRtGetModelSignature");
            for (int i = 0; i < n; i++) {
                PointerByReference tensor = new PointerByReference();
                check(call("LiteRtGetSignature" + side + "TensorByIndex", sref.getValue(), (long) i, tensor), "tensor");
                Memory type = new Memory(TENSOR_TYPE_BYTES);
                type.clear();
                check(call("LiteRtGetRankedTensorType", tensor.getValue(), type), "LiteRtGetRankedTensorType");
                PointerByReference req = new PointerByReference();
                check(call("LiteRtGetCompiledModel" + side + "BufferRequirements", compiled, (long) sig.index, (long) i, req),
                        "LiteRtGetCompiledModel" + side + "BufferRequirements");
                PointerByReference buf = new PointerByReference();
                check(call("LiteRtCreateManagedTensorBufferFromRequirements", env, type, req.getValue(), buf),
                        "LiteRtCreateManagedTensorBufferFromRequirements");
                out[i] = buf.getValue();
            }
            return out;
        }

        synchronized Map<String, Tensor> run(String signature, Map<String, Tensor> inputs) {
            Signature sig = signatures.get(signature);
            if (sig == null) throw new IllegalArgumentException(path.getName() + " has no signature " + signature + " (has " + signatures.keySet() + ")");
            if (sig.inBuffers == null) {
                sig.inBuffers = buffers(sig, true);
                sig.outBuffers = buffers(sig, false);
            }
            for (int i = 0; i < sig.inputNames.size(); i++) {
                String name = sig.inputNames.get(i);
                Tensor t = inputs.get(name);
                if (t == null) throw new IllegalArgumentException(signature + ": input '" + name + "' missing");
                int[] shape = sig.inputShapes.get(i);
                if (!java.util.Arrays.equals(shape, t.shape))
                    throw new IllegalArgumentException(signature + "." + name + ": shape " + java.util.Arrays.toString(t.shape)
                            + ", graph wants " + java.util.Arrays.toString(shape));
                int elem = sig.inputTypes.get(i);
                if ((elem == ELEM_FLOAT32) != t.isFloat() || (elem != ELEM_FLOAT32 && elem != ELEM_INT32))
                    throw new IllegalArgumentException(signature + "." + name + ": element type " + elem + " vs " + t);
                Pointer host = lock(sig.inBuffers[i], LOCK_WRITE, 4L * t.size());
                if (t.isFloat()) host.write(0, t.floats, 0, t.floats.length);
                else host.write(0, t.ints, 0, t.ints.length);
                check(call("LiteRtUnlockTensorBuffer", sig.inBuffers[i]), "LiteRtUnlockTensorBuffer");
            }
            Memory ins = pointerArray(sig.inBuffers);
            Memory outs = pointerArray(sig.outBuffers);
            check(call("LiteRtRunCompiledModel", compiled, (long) sig.index, (long) sig.inBuffers.length, ins,
                    (long) sig.outBuffers.length, outs), "LiteRtRunCompiledModel(" + path.getName() + ", " + signature + ")");
            Map<String, Tensor> result = new HashMap<>();
            for (int i = 0; i < sig.outputNames.size(); i++) {
                int[] shape = sig.outputShapes.get(i);
                int count = 1;
                for (int d : shape) count *= d;
                int elem = sig.outputTypes.get(i);
                if (elem != ELEM_FLOAT32 && elem != ELEM_INT32)
                    throw new IllegalStateException(signature + "." + sig.outputNames.get(i) + ": element type " + elem
                            + " (only float32 and int32 outputs are read)");
                Pointer host = lock(sig.outBuffers[i], LOCK_READ, 4L * count);
                Tensor t = elem == ELEM_INT32 ? Tensor.of(host.getIntArray(0, count), shape)
                        : Tensor.of(host.getFloatArray(0, count), shape);
                check(call("LiteRtUnlockTensorBuffer", sig.outBuffers[i]), "LiteRtUnlockTensorBuffer");
                result.put(sig.outputNames.get(i), t);
            }
            return result;
        }

        private Pointer lock(Pointer buffer, int mode, long bytes) {
            Memory size = new Memory(8);
            size.setLong(0, 0);
            check(call("LiteRtGetTensorBufferPackedSize", buffer, size), "LiteRtGetTensorBufferPackedSize");
            if (size.getLong(0) < bytes) throw new IllegalStateException("tensor buffer holds " + size.getLong(0) + " bytes, need " + bytes);
            PointerByReference host = new PointerByReference();
            check(call("LiteRtLockTensorBuffer", buffer, host, mode), "LiteRtLockTensorBuffer");
            return host.getValue();
        }

        void close() {
            for (Signature sig : signatures.values()) {
                for (Pointer[] bufs : new Pointer[][] {sig.inBuffers, sig.outBuffers})
                    if (bufs != null) for (Pointer b : bufs) lib.getFunction("LiteRtDestroyTensorBuffer").invokeVoid(new Object[] {b});
                sig.inBuffers = sig.outBuffers = null;
            }
            lib.getFunction("LiteRtDestroyCompiledModel").invokeVoid(new Object[] {compiled});
            lib.getFunction("LiteRtDestroyOptions").invokeVoid(new Object[] {options});
            lib.getFunction("LiteRtDestroyModel").invokeVoid(new Object[] {model});
        }
    }

    private static Memory pointerArray(Pointer[] ptrs) {
        Memory m = new Memory((long) Native.POINTER_SIZE * Math.max(ptrs.length, 1));
        for (int i = 0; i < ptrs.length; i++) m.setPointer((long) Native.POINTER_SIZE * i, ptrs[i]);
        return m;
    }

    /** Signature keys of one graph (for checks against the manifest). */
    public List<String> signatures(String graph) {
        return new ArrayList<>(model(graph).signatures.keySet());
    }

    /** Input names -> shapes of one signature. */
    public Map<String, int[]> inputShapes(String graph, String signature) {
        Signature sig = model(graph).signatures.get(signature);
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < sig.inputNames.size(); i++) m.put(sig.inputNames.get(i), sig.inputShapes.get(i));
        return m;
    }

    private Model model(String graph) {
        Model m = models.get(graph);
        if (m == null) throw new IllegalArgumentException("no graph '" + graph + "' in the bundle");
        return m;
    }

    @Override
    public Map<String, Tensor> run(String graph, String signature, Map<String, Tensor> inputs) {
        return model(graph).run(signature, inputs);
    }

    @Override
    public void close() {
        for (Model m : models.values()) m.close();
        models.clear();
        lib.getFunction("LiteRtDestroyEnvironment").invokeVoid(new Object[] {env});
    }
}
