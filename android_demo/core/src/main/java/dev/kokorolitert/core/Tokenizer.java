package dev.kokorolitert.core;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Phoneme string -> Kokoro ids (runtime/tokenizer.py): unknown symbols are dropped. */
public final class Tokenizer {
    public static final int BOUNDARY_ID = 0;
    private final Map<Integer, Integer> vocab;

    public Tokenizer(Map<Integer, Integer> vocab) {
        if (vocab.isEmpty()) throw new IllegalArgumentException("empty vocab");
        this.vocab = vocab;
    }

    /** Ids without boundary tokens; code points outside the vocab are dropped (see {@link #unknown}). */
    public int[] encode(String phonemes) {
        int[] cps = phonemes.codePoints().toArray();
        int[] ids = new int[cps.length];
        int n = 0;
        for (int cp : cps) {
            Integer id = vocab.get(cp);
            if (id != null) ids[n++] = id;
        }
        return java.util.Arrays.copyOf(ids, n);
    }

    /** The symbols of {@code phonemes} that {@link #encode} drops, e.g. for a warning in the UI. */
    public Set<String> unknown(String phonemes) {
        Set<String> out = new TreeSet<>();
        phonemes.codePoints().filter(cp -> !vocab.containsKey(cp)).forEach(cp -> out.add(new String(Character.toChars(cp))));
        return out;
    }

    /** The model's input row {@code [0, *ids, 0]}. */
    public static int[] modelInput(int[] ids) {
        int[] out = new int[ids.length + 2];
        System.arraycopy(ids, 0, out, 1, ids.length);
        out[0] = BOUNDARY_ID;
        out[ids.length + 1] = BOUNDARY_ID;
        return out;
    }
}
