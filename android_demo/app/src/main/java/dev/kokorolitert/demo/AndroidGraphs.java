package dev.kokorolitert.demo;

import dev.kokorolitert.core.Graphs;
import dev.kokorolitert.core.Tensor;

import org.tensorflow.lite.Interpreter;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link Graphs} on Android through the LiteRT AAR: one Interpreter per graph file (XNNPACK on
 * by default), signatures run by key with direct native-order buffers.
 */
final class AndroidGraphs implements Graphs {
    private final Map<String, Interpreter> interpreters = new HashMap<>();

    AndroidGraphs(File bundleDir, Map<String, String> graphFiles, int threads) {
        for (Map.Entry<String, String> e : graphFiles.entrySet()) {
            Interpreter.Options options = new Interpreter.Options().setNumThreads(threads);
            interpreters.put(e.getKey(), new Interpreter(new File(bundleDir, e.getValue()), options));
        }
    }

    @Override
    public synchronized Map<String, Tensor> run(String graph, String signature, Map<String, Tensor> inputs) {
        Interpreter it = interpreters.get(graph);
        if (it == null) throw new IllegalArgumentException("no graph " + graph);
        Map<String, Object> in = new HashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            Tensor t = e.getValue();
            ByteBuffer b = ByteBuffer.allocateDirect(4 * t.size()).order(ByteOrder.nativeOrder());
            if (t.isFloat()) b.asFloatBuffer().put(t.floats);
            else b.asIntBuffer().put(t.ints);
            in.put(e.getKey(), b);
        }
        Map<String, Object> out = new HashMap<>();
        Map<String, int[]> shapes = new HashMap<>();
        for (String name : it.getSignatureOutputs(signature)) {
            org.tensorflow.lite.Tensor t = it.getOutputTensorFromSignature(name, signature);
            shapes.put(name, t.shape());
            out.put(name, ByteBuffer.allocateDirect(t.numBytes()).order(ByteOrder.nativeOrder()));
        }
        it.runSignature(in, out, signature);
        Map<String, Tensor> result = new HashMap<>();
        for (Map.Entry<String, Object> e : out.entrySet()) {
            ByteBuffer b = (ByteBuffer) e.getValue();
            b.rewind();
            float[] f = new float[b.capacity() / 4];
            b.asFloatBuffer().get(f);
            result.put(e.getKey(), Tensor.of(f, shapes.get(e.getKey())));
        }
        return result;
    }

    @Override
    public synchronized void close() {
        for (Interpreter it : interpreters.values()) it.close();
        interpreters.clear();
    }
}
