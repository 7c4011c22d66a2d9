package dev.kokorolitert.core;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a .tflite file says about itself, read straight from the flatbuffer without compiling
 * anything: its signature table (each signature's key and its input and output names) and its
 * metadata records. The LiteRT Kotlin API can create a buffer or read a tensor type for an input or
 * output <em>by name</em>, but has no call that lists the names (google-ai-edge/LiteRT
 * litert/kotlin/.../Model.kt), so the app's AndroidGraphs takes them from the file; {@link Kokoro#open}
 * checks each graph's {@code kokoro_litert} record against the manifest, as runtime/bundle.py
 * {@code graph_info} does.
 *
 * <p>Schema: tflite/converter/schema/schema.fbs, {@code Model.signature_defs} (field 7) ->
 * {@code SignatureDef {inputs:[TensorMap], outputs:[TensorMap], signature_key:string}} ->
 * {@code TensorMap {name:string, tensor_index:uint}}; {@code Model.metadata} (field 6) ->
 * {@code Metadata {name:string, buffer:uint}} -> {@code Model.buffers} (field 4) -> {@code Buffer {data:[ubyte]}}.
 */
public final class TfliteFile {
    /** One signature: its key and its input and output names, in the file's order. */
    public static final class Signature {
        public final String key;
        public final List<String> inputs, outputs;

        Signature(String key, List<String> inputs, List<String> outputs) {
            this.key = key;
            this.inputs = Collections.unmodifiableList(inputs);
            this.outputs = Collections.unmodifiableList(outputs);
        }
    }

    /** The metadata record every shipped graph carries (converter/export.py {@code finalize_graph}). */
    public static final String METADATA_KEY = "kokoro_litert";
    private static final int MODEL_BUFFERS = 4, MODEL_METADATA = 6, MODEL_SIGNATURE_DEFS = 7;
    private static final int METADATA_NAME = 0, METADATA_BUFFER = 1, BUFFER_DATA = 0;
    private static final int SIGNATURE_INPUTS = 0, SIGNATURE_OUTPUTS = 1, SIGNATURE_KEY = 2;
    private static final int TENSOR_MAP_NAME = 0;

    private final ByteBuffer buf;

    /** signature key -> signature, in the file's order. */
    public final Map<String, Signature> signatures;
    /** metadata name -> its bytes as UTF-8 text. */
    public final Map<String, String> metadata;

    private TfliteFile(ByteBuffer buf, String what) throws IOException {
        this.buf = buf.order(ByteOrder.LITTLE_ENDIAN);
        if (buf.get(4) != 'T' || buf.get(5) != 'F' || buf.get(6) != 'L' || buf.get(7) != '3')
            throw new IOException(what + ": not a .tflite file (no TFL3 identifier)");
        int model = indirect(0);
        signatures = Collections.unmodifiableMap(signatures(model, what));
        metadata = Collections.unmodifiableMap(metadata(model));
    }

    /** A file that is not a readable .tflite is an IOException. */
    public static TfliteFile read(File file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file, "r"); FileChannel ch = raf.getChannel()) {
            long size = ch.size();
            if (size < 8) throw new IOException(file + ": not a .tflite file (" + size + " bytes)");
            // The flatbuffer's own tables sit in its first 2 GB (larger files append weights after it).
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
            return read(map, file.toString());
        }
    }

    /** The same from bytes already in memory. */
    public static TfliteFile read(ByteBuffer bytes, String what) throws IOException {
        try {
            return new TfliteFile(bytes.duplicate(), what);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new IOException(what + ": unreadable .tflite flatbuffer (" + e + ")");
        }
    }

    private Map<String, String> metadata(int model) {
        Map<String, String> out = new LinkedHashMap<>();
        int f = field(model, MODEL_METADATA), b = field(model, MODEL_BUFFERS);
        if (f == 0 || b == 0) return out;
        int vec = indirect(f), buffers = indirect(b);
        for (int i = 0, n = length(vec); i < n; i++) {
            int entry = indirect(vec + 4 + 4 * i);
            int name = field(entry, METADATA_NAME), index = field(entry, METADATA_BUFFER);
            if (name == 0 || index == 0) continue;
            int k = buf.getInt(index);
            if (k < 0 || k >= length(buffers)) throw new IndexOutOfBoundsException("metadata buffer " + k);
            int data = field(indirect(buffers + 4 + 4 * k), BUFFER_DATA);
            out.put(string(indirect(name)), data == 0 ? "" : string(indirect(data)));
        }
        return out;
    }

    private Map<String, Signature> signatures(int model, String what) throws IOException {
        Map<String, Signature> out = new LinkedHashMap<>();
        int defs = field(model, MODEL_SIGNATURE_DEFS);
        if (defs == 0) return out; // a model without signatures
        int vec = indirect(defs);
        int n = length(vec);
        for (int i = 0; i < n; i++) {
            int def = indirect(vec + 4 + 4 * i);
            int key = field(def, SIGNATURE_KEY);
            if (key == 0) throw new IOException(what + ": signature " + i + " has no key");
            String name = string(indirect(key));
            out.put(name, new Signature(name, names(def, SIGNATURE_INPUTS), names(def, SIGNATURE_OUTPUTS)));
        }
        return out;
    }

    private List<String> names(int def, int slot) {
        List<String> names = new ArrayList<>();
        int f = field(def, slot);
        if (f == 0) return names;
        int vec = indirect(f);
        int n = length(vec);
        for (int i = 0; i < n; i++) {
            int map = indirect(vec + 4 + 4 * i);
            int name = field(map, TENSOR_MAP_NAME);
            names.add(name == 0 ? "" : string(indirect(name)));
        }
        return names;
    }

    /** The position of field {@code slot} of the table at {@code table}, or 0 when absent. */
    private int field(int table, int slot) {
        int vtable = table - buf.getInt(table);
        int vtableSize = buf.getShort(vtable) & 0xffff;
        int at = 4 + 2 * slot;
        if (at >= vtableSize) return 0;
        int off = buf.getShort(vtable + at) & 0xffff;
        return off == 0 ? 0 : table + off;
    }

    /** Follows the uoffset stored at {@code pos}. */
    private int indirect(int pos) {
        long target = pos + (buf.getInt(pos) & 0xffffffffL);
        if (target >= buf.limit()) throw new IndexOutOfBoundsException("offset " + target + " past the end");
        return (int) target;
    }

    private int length(int vec) {
        int n = buf.getInt(vec);
        if (n < 0 || vec + 4L + 4L * n > buf.limit()) throw new IndexOutOfBoundsException("vector of " + n + " at " + vec);
        return n;
    }

    private String string(int pos) {
        int n = buf.getInt(pos);
        if (n < 0 || pos + 4L + n > buf.limit()) throw new IndexOutOfBoundsException("string of " + n + " at " + pos);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = buf.get(pos + 4 + i);
        return new String(b, StandardCharsets.UTF_8);
    }
}
