"""The Android app (android_demo/app) on a machine without an Android SDK.

No android.jar, no LiteRT AAR and no Android Gradle Plugin are reachable here, so the APK is never
built. What is checked instead:

* the app's sources compile with ``javac --release 11`` against the real core (android_demo/core)
  and android_demo/stubs: compile-only stubs of exactly the Android SDK and LiteRT classes the app
  uses, with their real Java-visible signatures (LiteRT's read from its Kotlin sources). Compiling
  proves that every LiteRT / Android member the app calls exists in the stubs;
* the stubs are stubs (every body throws) and are not part of the Gradle build;
* the UI has a text box, not a phoneme box;
* the Gradle files pin one LiteRT version for litert and litert-gpu, a minSdk the core and LiteRT
  allow, and keep .tflite files uncompressed;
* TfliteFile (how the app learns a signature's input/output names, which the LiteRT Kotlin
  API cannot list) reads the signature table of a .tflite flatbuffer, and of the real bundle;
* AndroidGraphs' own logic runs against an in-memory fake of the LiteRT classes: inputs checked
  (name, element type, shape) before anything is written, outputs read with the model's shapes,
  CPU options (threads, XNNPACK flags, weight cache path), GPU refusal, bucket budget reloads,
  and that close() frees every model, buffer and environment.

Needs a JDK (javac/java >= 11): ``apt-get install -y default-jdk-headless``. Missing tools FAIL this
test (they do not skip it): CI must install them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kokoro_litert.runtime.manifest import FORMAT_VERSION

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "android_demo"
APP = DEMO / "app"
APP_SRC = APP / "src" / "main" / "java"
CORE_SRC = DEMO / "core" / "src" / "main"
STUBS = DEMO / "stubs" / "src"
MAIN_ACTIVITY = APP_SRC / "dev" / "kokorolitert" / "demo" / "MainActivity.java"
APT_HINT = "install it with: apt-get install -y default-jdk-headless"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"missing {name}: {APT_HINT}")
    return path


def _java_files(*dirs: Path) -> list[str]:
    return sorted(str(p) for d in dirs for p in d.rglob("*.java"))


def _javac(out: Path, sources: list[str], sourcepath: Path | None = None) -> None:
    """Compiles ``sources``; with ``sourcepath``, the classes they use from there are compiled too (only those)."""
    cmd = [_tool("javac"), "--release", "11", "-encoding", "UTF-8", "-d", str(out)]
    if sourcepath:
        cmd += ["-sourcepath", str(sourcepath)]
    r = subprocess.run(cmd + sources, capture_output=True, text=True)
    assert r.returncode == 0, f"javac failed:\n{r.stdout}\n{r.stderr}"


def _java(classpath: Path, main: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_tool("java"), "-cp", str(classpath), main, *args], capture_output=True, text=True, timeout=120)


# ---- compile check ------------------------------------------------------------------------------


def test_app_compiles_against_core_and_stubs(tmp_path):
    """Every Android and LiteRT member the app uses exists, with that signature, in the stubs; the
    app compiles against the real core (Kokoro facade included)."""
    assert (CORE_SRC / "java" / "dev" / "kokorolitert" / "core" / "Kokoro.java").is_file()
    _javac(tmp_path, _java_files(STUBS, CORE_SRC, APP_SRC))
    assert (tmp_path / "dev" / "kokorolitert" / "demo" / "MainActivity.class").is_file()
    assert (tmp_path / "dev" / "kokorolitert" / "demo" / "AndroidGraphs.class").is_file()


def _strip_comments(src: str) -> str:
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)


def test_stubs_are_compile_only():
    """Stub bodies only throw; the stubs hold only android.* and LiteRT classes and no build includes them."""
    files = list(STUBS.rglob("*.java"))
    assert files
    for f in files:
        rel = f.relative_to(STUBS).as_posix()
        assert rel.startswith(("android/", "com/google/ai/edge/litert/")), f"{rel}: not an Android or LiteRT stub"
        code = _strip_comments(f.read_text())
        # every method/constructor body: optional super(...) call, then the throw; interfaces and enums have none
        for body in re.findall(r"\)\s*(?:throws [\w., ]+)?\{([^{}]*)\}", code):
            stmts = [s.strip() for s in body.strip().split(";") if s.strip()]
            stmts = [s for s in stmts if not s.startswith("super(")]
            assert stmts == ["throw new UnsupportedOperationException()"], f"{rel}: a stub body does more than throw: {body!r}"
    settings = (DEMO / "settings.gradle").read_text()
    assert "stubs" not in _strip_comments(settings)
    assert "stubs" not in _strip_comments((APP / "build.gradle").read_text())


def test_litert_stubs_cover_only_what_the_app_uses():
    app = "\n".join(Path(p).read_text() for p in _java_files(APP_SRC))
    imported = set(re.findall(r"import com\.google\.ai\.edge\.litert\.(\w+);", app))
    stubbed = {p.stem for p in (STUBS / "com" / "google" / "ai" / "edge" / "litert").glob("*.java")}
    assert imported <= stubbed
    assert stubbed - imported == {"JniHandle"}, "stub only the LiteRT classes the app uses (JniHandle: their base class)"
    assert "org.tensorflow.lite" not in app, "the app uses the CompiledModel API, not the classic Interpreter"


# ---- UI -----------------------------------------------------------------------------------------


def test_ui_takes_text_not_phonemes():
    src = MAIN_ACTIVITY.read_text()
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"', _strip_comments(src))
    assert not [s for s in literals if "phonem" in s.lower()], "no phoneme box or phoneme wording in the UI"
    sample = re.search(r'SAMPLE\s*=\s*((?:"(?:[^"\\]|\\.)*"\s*\+?\s*)+);', src)
    assert sample, "a sample English sentence prefills the text box"
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', sample.group(1)))
    assert text.isascii() and len(text.split()) >= 8, f"the sample is plain English text: {text!r}"
    assert "Tokenizer" not in src and "encode(" not in src, "text goes through Kokoro (G2P), not the tokenizer"
    for needed in ("Kokoro.open(", ".stream(", "MODE_STREAM", "ENCODING_PCM_FLOAT", "getExternalFilesDir(", "onDestroy"):
        assert needed in src, needed


# ---- Gradle -------------------------------------------------------------------------------------


def test_gradle_build_pins():
    app = _strip_comments((APP / "build.gradle").read_text())
    litert = re.findall(r'"com\.google\.ai\.edge\.litert:(litert(?:-gpu)?):([\w.\-]+)"', app)
    versions = dict(litert)
    assert set(versions) == {"litert", "litert-gpu"}, f"litert + litert-gpu (the GPU accelerator from 2.3.0 on): {litert}"
    assert len(set(versions.values())) == 1, f"one LiteRT version for both artifacts: {versions}"
    assert re.fullmatch(r"2\.\d+\.\d+", versions["litert"]), versions
    min_sdk = int(re.search(r"minSdk\s*=?\s*(\d+)", app).group(1))
    assert min_sdk >= 26, "java.nio.file (the core's lexicon reader) is API 26; LiteRT 2.3.0 needs 24"
    assert re.search(r'noCompress\s*\(?\s*\[?\s*"tflite"', app) or re.search(r'noCompress[^\n]*"tflite"', app)
    assert re.search(r'project\(\s*":core"\s*\)', app)
    assert re.search(r"compileSdk\s*=?\s*3[45]\b", app)
    settings = _strip_comments((DEMO / "settings.gradle").read_text())
    assert re.search(r'include[^\n]*":app"', settings) and re.search(r'include[^\n]*":core"', settings)
    assert "pluginManagement" in settings
    root = _strip_comments((DEMO / "build.gradle").read_text())
    assert re.search(r'id\s*\(?\s*"com\.android\.application"\s*\)?\s*version\s*"8\.\d+\.\d+"', root)


# ---- TfliteFile ---------------------------------------------------------------------------------

SIGNATURES_MAIN = """
import dev.kokorolitert.core.TfliteFile;
import java.io.File;
import java.util.Map;

public class DumpSignatures {
    public static void main(String[] args) throws Exception {
        for (String path : args) {
            try {
                Map<String, TfliteFile.Signature> m = TfliteFile.read(new File(path)).signatures;
                for (TfliteFile.Signature s : m.values())
                    System.out.println(path + "\\t" + s.key + "\\t" + String.join(",", s.inputs) + "\\t" + String.join(",", s.outputs));
                if (m.isEmpty()) System.out.println(path + "\\t-");
            } catch (java.io.IOException e) {
                System.out.println(path + "\\tIOException");
            }
        }
    }
}
"""


def _write_tflite(path: Path, signatures: dict[str, tuple[list[str], list[str]]]) -> None:
    """A .tflite flatbuffer that holds only a signature table (enough for the reader, not for LiteRT)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT()
    model.version = 3
    model.signatureDefs = []
    for key, (inputs, outputs) in signatures.items():
        sig = schema.SignatureDefT()
        sig.signatureKey = key
        sig.subgraphIndex = 0
        sig.inputs, sig.outputs = [], []
        for names, dest in ((inputs, sig.inputs), (outputs, sig.outputs)):
            for i, name in enumerate(names):
                tm = schema.TensorMapT()
                tm.name = name
                tm.tensorIndex = i
                dest.append(tm)
        model.signatureDefs.append(sig)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(bytes(builder.Output()))


def _dump_signatures(tmp_path: Path, files: list[Path]) -> list[list[str]]:
    classes = tmp_path / "classes"
    src = tmp_path / "DumpSignatures.java"
    src.write_text(SIGNATURES_MAIN)
    _javac(classes, [str(CORE_SRC / "java" / "dev" / "kokorolitert" / "core" / "TfliteFile.java"), str(src)])
    r = _java(classes, "DumpSignatures", *map(str, files))
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()]


def test_tflite_signatures_reader(tmp_path):
    good = tmp_path / "two.tflite"
    table = {"T32": (["style", "token_mask", "tokens"], ["d", "durations", "t_en"]),
             "L128": (["asr", "f0", "frame_mask", "n", "source", "style"], ["magnitude", "phase"]),
             "x": (["wörter"], [])}
    _write_tflite(good, table)
    none = tmp_path / "none.tflite"
    _write_tflite(none, {})
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"\x10\x00\x00\x00TFL3" + b"\xff" * 40)
    wrong_id = tmp_path / "wrong.tflite"
    wrong_id.write_bytes(good.read_bytes()[:4] + b"XXXX" + good.read_bytes()[8:])
    tiny = tmp_path / "tiny.tflite"
    tiny.write_bytes(b"TFL3")
    rows = _dump_signatures(tmp_path, [good, none, garbage, wrong_id, tiny])
    got = {r[1]: (r[2].split(",") if r[2] else [], r[3].split(",") if r[3] else []) for r in rows if r[0] == str(good)}
    assert got == table
    assert list(got) == list(table), "file order"
    status = {Path(r[0]).name: r[1] for r in rows if r[0] != str(good)}
    assert status == {"none.tflite": "-", "garbage.tflite": "IOException", "wrong.tflite": "IOException",
                      "tiny.tflite": "IOException"}


def test_tflite_signatures_match_real_bundle(real_bundle, tmp_path):
    """The reader on the converter's real graphs agrees with the manifest's signature tables
    (which converter/export.py takes from LiteRT's own Interpreter)."""
    bundle = Path(real_bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    files = {g: bundle / e["file"] for g, e in manifest["graphs"].items()}
    rows = _dump_signatures(tmp_path, list(files.values()))
    for graph, path in files.items():
        got = {r[1]: (sorted(r[2].split(",")), sorted(r[3].split(","))) for r in rows if r[0] == str(path)}
        want = {k: (sorted(v["inputs"]), sorted(v["outputs"])) for k, v in manifest["graphs"][graph]["signatures"].items()}
        assert got == want, graph


# ---- AndroidGraphs against a fake LiteRT --------------------------------------------------------

# In-memory stand-ins for the LiteRT classes AndroidGraphs uses, with the stubs' signatures and the
# real API's behaviour where it matters: TensorBuffer writes are unchecked (like the JNI's), types and
# shapes come from a registry the harness fills, GPU is refused when the environment lacks it.
FAKE_LITERT = {
    "Accelerator.java": """
package com.google.ai.edge.litert;
public enum Accelerator { NONE, CPU, GPU, NPU; public final int getValue() { return ordinal(); } }
""",
    "LiteRtException.java": """
package com.google.ai.edge.litert;
public final class LiteRtException extends Exception {
    public LiteRtException(int code, String message) { super(message); }
}
""",
    "JniHandle.java": """
package com.google.ai.edge.litert;
public abstract class JniHandle implements AutoCloseable {
    public static int live;
    private boolean closed;
    JniHandle() { live++; }
    protected abstract void destroy();
    @Override public final void close() { if (!closed) { closed = true; live--; destroy(); } }
    boolean closed() { return closed; }
}
""",
    "TensorType.java": """
package com.google.ai.edge.litert;
import java.util.ArrayList;
import java.util.List;
public final class TensorType {
    private final ElementType elementType; private final Layout layout;
    public TensorType(ElementType elementType, Layout layout) { this.elementType = elementType; this.layout = layout; }
    public final ElementType getElementType() { return elementType; }
    public final Layout getLayout() { return layout; }
    public enum ElementType { INT, FLOAT, INT8, BOOLEAN, INT64 }
    public static final class Layout {
        private final List<Integer> dims = new ArrayList<>();
        public Layout(int[] dimensions) { for (int d : dimensions) dims.add(d); }
        public final List<Integer> getDimensions() { return dims; }
    }
}
""",
    "TensorBuffer.java": """
package com.google.ai.edge.litert;
public final class TensorBuffer extends JniHandle {
    public static int writes;
    final TensorType type; final int count; float[] f; int[] i;
    TensorBuffer(TensorType type) {
        this.type = type; int n = 1; for (int d : type.getLayout().getDimensions()) n *= d; count = n;
        f = new float[n]; i = new int[n];
    }
    // unchecked, like the JNI: a float[] into an int32 tensor or a short array goes through
    public final void writeFloat(float[] data) throws LiteRtException { writes++; System.arraycopy(data, 0, f, 0, Math.min(data.length, count)); }
    public final void writeInt(int[] data) throws LiteRtException { writes++; System.arraycopy(data, 0, i, 0, Math.min(data.length, count)); }
    public final float[] readFloat() throws LiteRtException { return f.clone(); }
    public final int[] readInt() throws LiteRtException { return i.clone(); }
    @Override protected void destroy() {}
}
""",
    "Environment.java": """
package com.google.ai.edge.litert;
import java.util.EnumSet;
import java.util.Set;
public final class Environment extends JniHandle {
    public static boolean gpu;
    Environment() {}
    public static Environment create() throws LiteRtException { return new Environment(); }
    public final Set<Accelerator> getAvailableAccelerators() throws LiteRtException {
        return gpu ? EnumSet.of(Accelerator.CPU, Accelerator.GPU) : EnumSet.of(Accelerator.CPU);
    }
    @Override protected void destroy() {}
}
""",
    "CompiledModel.java": """
package com.google.ai.edge.litert;
import java.util.*;
public final class CompiledModel extends JniHandle {
    /** path -> signature -> name -> type, inputs and outputs in one map (output names start with "out:") */
    public static final Map<String, Map<String, LinkedHashMap<String, TensorType>>> REGISTRY = new HashMap<>();
    public static final List<String> LOG = new ArrayList<>();
    public static int creates;
    final String path; final Environment env;
    CompiledModel(String path, Environment env) { this.path = path; this.env = env; }

    public static final class CpuOptions {
        final Integer threads, flags; final String cache;
        public CpuOptions(Integer numThreads, Integer xnnPackFlags, String xnnPackWeightCachePath) { threads = numThreads; flags = xnnPackFlags; cache = xnnPackWeightCachePath; }
    }
    public static final class Options {
        final List<Accelerator> acc; CpuOptions cpu;
        public Options(Accelerator... accelerators) { acc = Arrays.asList(accelerators); }
        public final void setCpuOptions(CpuOptions cpuOptions) { cpu = cpuOptions; }
    }
    public static CompiledModel create(String filePath, Options options, Environment optionalEnv) throws LiteRtException {
        if (!REGISTRY.containsKey(filePath)) throw new LiteRtException(500, "no model " + filePath);
        if (options.acc.contains(Accelerator.GPU) && !optionalEnv.getAvailableAccelerators().contains(Accelerator.GPU)
                && options.acc.size() == 1) throw new LiteRtException(5, "GPU accelerator missing");
        creates++;
        LOG.add("create " + new java.io.File(filePath).getName() + " " + options.acc + " threads=" + options.cpu.threads
                + " flags=0x" + Integer.toHexString(options.cpu.flags) + " cache=" + options.cpu.cache);
        return new CompiledModel(filePath, optionalEnv);
    }
    private TensorType type(String name, String signature) throws LiteRtException {
        Map<String, TensorType> sig = REGISTRY.get(path).get(signature);
        if (sig == null || !sig.containsKey(name)) throw new LiteRtException(6, "no tensor " + signature + "." + name);
        return sig.get(name);
    }
    public final TensorType getInputTensorType(String inputName, String signature) {
        try { return type(inputName, signature); } catch (LiteRtException e) { throw new IllegalStateException(e); }
    }
    public final TensorType getOutputTensorType(String outputName, String signature) {
        try { return type("out:" + outputName, signature); } catch (LiteRtException e) { throw new IllegalStateException(e); }
    }
    public final TensorBuffer createInputBuffer(String inputName, String signature) throws LiteRtException {
        if (closed()) throw new IllegalStateException("destroyed"); return new TensorBuffer(type(inputName, signature));
    }
    public final TensorBuffer createOutputBuffer(String outputName, String signature) throws LiteRtException {
        if (closed()) throw new IllegalStateException("destroyed"); return new TensorBuffer(type("out:" + outputName, signature));
    }
    /** Each output element j = j + the sum of every input's first element (as float). */
    public final void run(Map<String, TensorBuffer> inputs, Map<String, TensorBuffer> outputs, String signature) throws LiteRtException {
        if (closed()) throw new IllegalStateException("destroyed");
        float s = 0;
        for (TensorBuffer b : inputs.values()) s += b.type.getElementType() == TensorType.ElementType.INT ? b.i[0] : b.f[0];
        for (TensorBuffer b : outputs.values())
            for (int j = 0; j < b.count; j++) { b.f[j] = j + s; b.i[j] = j + (int) s; }
        LOG.add("run " + new java.io.File(path).getName() + " " + signature);
    }
    @Override protected void destroy() {}
}
""",
}

HARNESS = r"""
import com.google.ai.edge.litert.*;
import dev.kokorolitert.core.Manifest;
import dev.kokorolitert.core.Tensor;
import dev.kokorolitert.demo.AndroidGraphs;
import java.io.File;
import java.nio.file.Files;
import java.util.*;

public class GraphsHarness {
    static int passed, failed;

    static void check(boolean ok, String what) {
        if (ok) passed++; else { failed++; System.out.println("FAIL " + what); }
    }

    interface Body { void run() throws Exception; }

    static void rejects(Class<? extends Throwable> type, String fragment, Body body, String what) {
        int writes = TensorBuffer.writes;
        try { body.run(); check(false, what + ": no exception"); }
        catch (Throwable e) {
            check(type.isInstance(e) && String.valueOf(e.getMessage()).contains(fragment), what + ": " + e);
        }
        check(TensorBuffer.writes == writes, what + ": nothing written before the check failed");
    }

    static TensorType t(TensorType.ElementType e, int... dims) { return new TensorType(e, new TensorType.Layout(dims)); }

    static void define(File file, String sig, Object... nameTypePairs) {
        LinkedHashMap<String, TensorType> m = new LinkedHashMap<>();
        for (int i = 0; i < nameTypePairs.length; i += 2) m.put((String) nameTypePairs[i], (TensorType) nameTypePairs[i + 1]);
        CompiledModel.REGISTRY.computeIfAbsent(file.getAbsolutePath(), k -> new HashMap<>()).put(sig, m);
    }

    public static void main(String[] args) throws Exception {
        File bundle = new File(args[0]), cache = new File(args[1]);
        Manifest manifest = new Manifest(new String(Files.readAllBytes(new File(bundle, "manifest.json").toPath()), "UTF-8"));
        TensorType.ElementType F = TensorType.ElementType.FLOAT, I = TensorType.ElementType.INT;
        File pred = new File(bundle, "predictor.tflite"), voc = new File(bundle, "vocoder.tflite");
        define(pred, "T8", "style", t(F, 1, 4), "token_mask", t(F, 1, 8), "tokens", t(I, 1, 8),
               "out:d", t(F, 1, 8, 3), "out:durations", t(F, 1, 8), "out:t_en", t(F, 1, 5, 8));
        define(pred, "T16", "style", t(F, 1, 4), "token_mask", t(F, 1, 16), "tokens", t(I, 1, 16),
               "out:d", t(F, 1, 16, 3), "out:durations", t(F, 1, 16), "out:t_en", t(F, 1, 5, 16));
        for (int l : new int[] {64, 128})
            define(voc, "L" + l, "asr", t(F, 1, 5, l), "style", t(F, 1, 4), "out:magnitude", t(F, 1, 2, l), "out:phase", t(I, 1, 2, l));

        // CPU: options, names from the file, types and shapes from the model
        AndroidGraphs g = new AndroidGraphs(bundle, manifest, cache, false, 3);
        check(g.describe().contains("CPU") && g.describe().contains("3 threads"), "describe: " + g.describe());
        String sha = manifest.files.get(0).sha256.substring(0, 20);
        String predCache = new File(new File(cache, "xnnpack"), "predictor-" + sha + "-x23.xnn").getAbsolutePath();
        check(CompiledModel.LOG.contains("create predictor.tflite [CPU] threads=3 flags=0x23 cache=" + predCache), "CPU options: " + CompiledModel.LOG);
        check(new File(cache, "xnnpack").isDirectory(), "weight cache dir created");

        Map<String, Tensor> in = new HashMap<>();
        in.put("style", Tensor.of(new float[] {0.5f, 0, 0, 0}, 1, 4));
        in.put("token_mask", Tensor.of(new float[] {1, 1, 1, 0, 0, 0, 0, 0}, 1, 8));
        in.put("tokens", Tensor.of(new int[] {2, 7, 9, 0, 0, 0, 0, 0}, 1, 8));
        Map<String, Tensor> out = g.run("predictor", "T8", in);
        check(out.keySet().equals(new HashSet<>(Arrays.asList("d", "durations", "t_en"))), "output names " + out.keySet());
        check(Arrays.equals(out.get("t_en").shape, new int[] {1, 5, 8}) && out.get("t_en").isFloat(), "t_en shape from the model");
        check(out.get("d").floats[5] == 5 + 0.5f + 1 + 2, "values written and read back: " + out.get("d").floats[5]);
        out = g.run("predictor", "T8", in);
        check(out.get("durations").floats[0] == 3.5f, "second run reuses the buffers");

        // inputs are checked before anything is written (TensorBuffer checks neither type nor length)
        Map<String, Tensor> bad = new HashMap<>(in);
        bad.put("tokens", Tensor.of(new float[8], 1, 8));
        rejects(IllegalArgumentException.class, "tokens", () -> g.run("predictor", "T8", bad), "float into int32");
        Map<String, Tensor> bad2 = new HashMap<>(in);
        bad2.put("style", Tensor.of(new int[4], 1, 4));
        rejects(IllegalArgumentException.class, "style", () -> g.run("predictor", "T8", bad2), "int into float32");
        Map<String, Tensor> bad3 = new HashMap<>(in);
        bad3.put("token_mask", Tensor.of(new float[16], 1, 16));
        rejects(IllegalArgumentException.class, "shape", () -> g.run("predictor", "T8", bad3), "wrong shape");
        Map<String, Tensor> bad4 = new HashMap<>(in);
        bad4.remove("style");
        rejects(IllegalArgumentException.class, "missing", () -> g.run("predictor", "T8", bad4), "missing input");
        Map<String, Tensor> bad5 = new HashMap<>(in);
        bad5.put("extra", Tensor.of(new float[1], 1));
        rejects(IllegalArgumentException.class, "extra", () -> g.run("predictor", "T8", bad5), "unknown input");
        rejects(IllegalArgumentException.class, "T99", () -> g.run("predictor", "T99", in), "unknown signature");
        rejects(IllegalArgumentException.class, "nope", () -> g.run("nope", "T8", in), "unknown graph");

        // int32 outputs come back as int32; the vocoder's buckets share one budget of its largest length
        Map<String, Tensor> v = new HashMap<>();
        v.put("asr", Tensor.of(new float[5 * 64], 1, 5, 64));
        v.put("style", Tensor.of(new float[4], 1, 4));
        int creates = CompiledModel.creates;
        Map<String, Tensor> vo = g.run("vocoder", "L64", v);
        check(!vo.get("phase").isFloat() && vo.get("phase").ints[3] == 3, "int32 output");
        check(g.reloads() == 0 && CompiledModel.creates == creates, "first bucket: no reload");
        Map<String, Tensor> v2 = new HashMap<>(v);
        v2.put("asr", Tensor.of(new float[5 * 128], 1, 5, 128));
        g.run("vocoder", "L128", v2);
        check(g.reloads() == 1 && CompiledModel.creates == creates + 1, "64 + 128 > 128: vocoder recompiled, reloads=" + g.reloads());
        g.run("predictor", "T16", new HashMap<String, Tensor>() {{
            put("style", Tensor.of(new float[4], 1, 4)); put("token_mask", Tensor.of(new float[16], 1, 16));
            put("tokens", Tensor.of(new int[16], 1, 16)); }});
        check(g.reloads() == 1, "the predictor keeps every bucket");
        g.close();
        check(JniHandle.live == 0, "close() frees every model, buffer and the environment (live " + JniHandle.live + ")");

        // GPU: refused loudly when the environment has no GPU accelerator, with nothing left open
        Environment.gpu = false;
        rejects(IllegalStateException.class, "GPU", () -> new AndroidGraphs(bundle, manifest, cache, true, 2), "GPU missing");
        check(JniHandle.live == 0, "failed construction leaves nothing open (live " + JniHandle.live + ")");
        Environment.gpu = true;
        CompiledModel.LOG.clear();
        AndroidGraphs gg = new AndroidGraphs(bundle, manifest, cache, true, 2);
        check(CompiledModel.LOG.get(0).contains("[GPU, CPU]"), "GPU with CPU fallback: " + CompiledModel.LOG);
        creates = CompiledModel.creates;
        gg.run("vocoder", "L64", v);
        gg.run("vocoder", "L128", v2);
        check(CompiledModel.creates == creates && gg.reloads() == 0, "no bucket-budget recompilation on the GPU");
        gg.close();
        check(JniHandle.live == 0, "GPU graphs closed");

        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
"""


def _fake_bundle(d: Path) -> None:
    d.mkdir()
    graphs = {}
    tables = {"predictor": {"T8": (["style", "token_mask", "tokens"], ["d", "durations", "t_en"]),
                            "T16": (["style", "token_mask", "tokens"], ["d", "durations", "t_en"])},
              "vocoder": {"L64": (["asr", "style"], ["magnitude", "phase"]),
                          "L128": (["asr", "style"], ["magnitude", "phase"])}}
    for name, table in tables.items():
        path = d / f"{name}.tflite"
        _write_tflite(path, table)
        data = path.read_bytes()
        graphs[name] = {"file": path.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                        "signatures": {k: {} for k in table}}
    graphs["prosody"] = graphs["vocoder"]
    (d / "voices.npz").write_bytes(b"unused")
    manifest = {  # a complete format-1 manifest (runtime/bundle_format.json), with fake graphs
        "format": FORMAT_VERSION,
        "model": {"id": "fake", "version": "0", "weights_source": "none", "weights_sha256": "0" * 64,
                  "parameters_matched": 0, "parameters_total": 0},
        "precision": "fp32", "quantization": {}, "versions": {}, "gate": {"status": "skipped"},
        "buckets": {"tokens": [8, 16], "frames": [64, 128], "prosody_frames": [64, 128]},
        "graphs": graphs,
        "voices": {"file": "voices.npz", "bytes": 6, "sha256": hashlib.sha256(b"unused").hexdigest(), "names": ["af_heart"],
                   "shape": [510, 256], "dtype": "float32"},
        "vocab": {"a": 1},
        "audio": {"sample_rate": 24000, "n_fft": 20, "hop": 5, "samples_per_frame": 600, "source_frames_per_frame": 120},
        "source": {"harmonics": 8, "sine_amp": 0.1, "noise_std": 0.003, "voiced_threshold": 10,
                   "l_linear_weight": [0.1] * 9, "l_linear_bias": [0.0]},
    }
    (d / "manifest.json").write_text(json.dumps(manifest))


def test_android_graphs_logic_with_a_fake_litert(tmp_path):
    fake = tmp_path / "fake" / "com" / "google" / "ai" / "edge" / "litert"
    fake.mkdir(parents=True)
    for name, src in FAKE_LITERT.items():
        (fake / name).write_text(src)
    (tmp_path / "GraphsHarness.java").write_text(HARNESS)
    bundle = tmp_path / "bundle"
    _fake_bundle(bundle)
    classes = tmp_path / "classes"
    demo = APP_SRC / "dev" / "kokorolitert" / "demo"
    sources = _java_files(tmp_path / "fake") + [str(demo / "AndroidGraphs.java"),
                                                 str(tmp_path / "GraphsHarness.java")]
    _javac(classes, sources, sourcepath=CORE_SRC / "java")  # the core classes AndroidGraphs uses
    shutil.copy(ROOT / "runtime" / "bundle_format.json", classes)  # the core's resource, as Gradle packages it
    r = _java(classes, "GraphsHarness", str(bundle), str(tmp_path / "cache"))
    print(r.stdout)
    assert r.returncode == 0 and " 0 failed" in r.stdout, r.stdout + r.stderr
