package dev.kokorolitert.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The bundle's voices.npz (a zip of NAME.npy, each float32 [510, 256]) and the style row an
 * utterance uses: {@code pack[nTokens - 1]} (runtime/voices.py style_for), clamped to the pack.
 */
public final class Voices {
    public static final int PACK_ROWS = 510;
    public static final int STYLE_DIM = 256;
    private final Map<String, float[]> packs;

    private Voices(Map<String, float[]> packs) {
        this.packs = packs;
    }

    /** Reads every entry of an .npz stream (stored or deflated). */
    public static Voices readNpz(InputStream in) throws IOException {
        Map<String, float[]> packs = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                String name = e.getName();
                if (!name.endsWith(".npy")) continue;
                Npy a = Npy.parse(Manifest.readAll(zip));
                int[] s = a.shape;
                boolean ok = (s.length == 2 && s[0] == PACK_ROWS && s[1] == STYLE_DIM)
                        || (s.length == 3 && s[0] == PACK_ROWS && s[1] == 1 && s[2] == STYLE_DIM);
                if (!ok) throw new IOException("voices.npz[" + name + "]: expected float32 [510, 256], got " + java.util.Arrays.toString(s));
                packs.put(name.substring(0, name.length() - 4), a.floats());
            }
        }
        if (packs.isEmpty()) throw new IOException("voices.npz holds no voices");
        return new Voices(packs);
    }

    public static Voices readNpz(byte[] bytes) throws IOException {
        return readNpz(new ByteArrayInputStream(bytes));
    }

    public List<String> names() {
        List<String> n = new ArrayList<>(packs.keySet());
        Collections.sort(n);
        return n;
    }

    public float[] pack(String name) {
        float[] p = packs.get(name);
        if (p == null) throw new IllegalArgumentException("unknown voice '" + name + "'; known: " + names());
        return p;
    }

    /** The style row [256] for an utterance of {@code nTokens} phoneme ids (boundary tokens not counted). */
    public float[] style(String name, int nTokens) {
        return styleFor(pack(name), nTokens);
    }

    public static float[] styleFor(float[] pack, int nTokens) {
        int rows = pack.length / STYLE_DIM;
        int row = Math.min(Math.max(nTokens - 1, 0), rows - 1);
        float[] out = new float[STYLE_DIM];
        System.arraycopy(pack, row * STYLE_DIM, out, 0, STYLE_DIM);
        return out;
    }
}
