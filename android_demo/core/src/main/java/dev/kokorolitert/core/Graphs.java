package dev.kokorolitert.core;

import java.util.Map;

/**
 * How the core reaches the bundle's three LiteRT graphs, whatever the runtime: the desktop
 * implementation calls libLiteRt.so through JNA, the Android app the LiteRT AAR.
 */
public interface Graphs extends AutoCloseable {
    /**
     * Runs one signature of one graph.
     *
     * @param graph     "predictor", "prosody" or "vocoder" (the manifest's graph names)
     * @param signature the bucket's signature key, e.g. "T32" or "L128"
     * @param inputs    every input of that signature by name, with its exact bucket shape
     * @return every output of that signature by name (float32, full bucket shape)
     */
    Map<String, Tensor> run(String graph, String signature, Map<String, Tensor> inputs) throws Exception;

    @Override
    default void close() throws Exception {}
}
