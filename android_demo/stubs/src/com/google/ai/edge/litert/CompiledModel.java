// Compile-only stub (tests/test_android_app.py); never packaged. The Java-visible shape of
// google-ai-edge/LiteRT litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Model.kt, identical at
// tag v2.2.0 (145c7523ff08d5e57ab5c582141775eea47da9c7) and main (f67457790c9c2ab67347d6fe53270e8d3df20868,
// 2026-08-21, after the 2.3.0 version bump). Kotlin -> Java rules applied:
//  * companion `@Throws @JvmOverloads @JvmStatic fun create(filePath, options = Options.CPU, optionalEnv: Environment? = null)`
//    -> static create(String), create(String, Options), create(String, Options, Environment) (env nullable);
//    the AssetManager twin likewise.
//  * members without @JvmOverloads keep only their full form in Java (defaults are not Java-callable):
//    createInputBuffer(inputName, signature), run(Map, Map, signature), getInputTensorType(name, signature).
//  * `data class CpuOptions(val numThreads: Int? = null, val xnnPackFlags: Int? = null,
//    val xnnPackWeightCachePath: String? = null)` has no @JvmOverloads: Java sees the 3-argument constructor
//    (boxed Integer) and, all parameters having defaults, a public no-argument one.
//  * `class Options(accelerators: Set<Accelerator>)` + `constructor(vararg accelerators: Accelerator)`,
//    `var cpuOptions: CpuOptions?` -> getCpuOptions()/setCpuOptions(); `@JvmStatic val CPU` -> static getCPU().
//  * getInput/OutputTensorType carry no @Throws: LiteRtException is not declared (the JNI may still throw it).
// GpuOptions and QualcommOptions are left out: the app does not use them.
package com.google.ai.edge.litert;

import android.content.res.AssetManager;

import java.util.List;
import java.util.Map;
import java.util.Set;

public final class CompiledModel extends JniHandle {
    CompiledModel() {
        throw new UnsupportedOperationException();
    }

    public static final class CpuOptions {
        public CpuOptions(Integer numThreads, Integer xnnPackFlags, String xnnPackWeightCachePath) {
            throw new UnsupportedOperationException();
        }

        public CpuOptions() {
            throw new UnsupportedOperationException();
        }

        public final Integer getNumThreads() {
            throw new UnsupportedOperationException();
        }

        public final Integer getXnnPackFlags() {
            throw new UnsupportedOperationException();
        }

        public final String getXnnPackWeightCachePath() {
            throw new UnsupportedOperationException();
        }
    }

    public static final class Options {
        public Options(Set<Accelerator> accelerators) {
            throw new UnsupportedOperationException();
        }

        public Options(Accelerator... accelerators) {
            throw new UnsupportedOperationException();
        }

        public final CpuOptions getCpuOptions() {
            throw new UnsupportedOperationException();
        }

        public final void setCpuOptions(CpuOptions cpuOptions) {
            throw new UnsupportedOperationException();
        }

        public static Options getCPU() {
            throw new UnsupportedOperationException();
        }
    }

    public final TensorBuffer createInputBuffer(String inputName, String signature) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final TensorBuffer createOutputBuffer(String outputName, String signature) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> createInputBuffers(int signatureIndex) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> createInputBuffers() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> createInputBuffers(String signature) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> createOutputBuffers(int signatureIndex) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> createOutputBuffers() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> createOutputBuffers(String signature) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> run(List<TensorBuffer> inputs, int signatureIndex) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> run(List<TensorBuffer> inputs) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final List<TensorBuffer> run(List<TensorBuffer> inputs, String signature) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void run(List<TensorBuffer> inputs, List<TensorBuffer> outputs, int signatureIndex) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void run(List<TensorBuffer> inputs, List<TensorBuffer> outputs) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void run(List<TensorBuffer> inputs, List<TensorBuffer> outputs, String signature) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final void run(Map<String, TensorBuffer> inputs, Map<String, TensorBuffer> outputs, String signature)
            throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final TensorType getInputTensorType(String inputName, String signature) {
        throw new UnsupportedOperationException();
    }

    public final TensorType getOutputTensorType(String outputName, String signature) {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void destroy() {
        throw new UnsupportedOperationException();
    }

    public static CompiledModel create(String filePath) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static CompiledModel create(String filePath, Options options) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static CompiledModel create(String filePath, Options options, Environment optionalEnv) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static CompiledModel create(AssetManager assetManager, String assetName) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static CompiledModel create(AssetManager assetManager, String assetName, Options options) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static CompiledModel create(AssetManager assetManager, String assetName, Options options,
                                       Environment optionalEnv) throws LiteRtException {
        throw new UnsupportedOperationException();
    }
}
