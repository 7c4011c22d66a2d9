package dev.kokorolitert.core.text;

import java.util.Collections;
import java.util.List;

/** One model-sized piece of text (runtime/chunker.py {@code Chunk}, without the word timestamps). */
public final class TextChunk {
    /** The chunk's normalised text. */
    public final String text;
    public final String phonemes;
    /** Kokoro ids of {@link #phonemes}, without the boundary tokens. */
    public final int[] ids;
    /** Seconds of silence to insert after this chunk (0 for the last chunk of the text). */
    public final float pauseS;
    /** Words/symbols of the text that could not be spoken and were left out. */
    public final List<String> dropped;

    public TextChunk(String text, String phonemes, int[] ids, float pauseS, List<String> dropped) {
        this.text = text;
        this.phonemes = phonemes;
        this.ids = ids;
        this.pauseS = pauseS;
        this.dropped = Collections.unmodifiableList(dropped);
    }

    /** The model input length of this chunk: {@code ids.length + 2} boundary tokens. */
    public int tokens() {
        return ids.length + 2;
    }

    TextChunk withPause(float pause) {
        return new TextChunk(text, phonemes, ids, pause, dropped);
    }

    @Override
    public String toString() {
        return "TextChunk(" + text + ", pause=" + pauseS + ", tokens=" + tokens() + ")";
    }
}
