package dev.kokorolitert.core.text;

import java.util.List;

/** Normalised text -> Kokoro (misaki) phonemes, as runtime/g2p.py {@code G2P.phonemize(text, normalized=True)}. */
public interface Phonemizer {
    /**
     * @param normalizedText text already through {@link Normalizer}
     * @param dropped        receives the words/symbols that could not be spoken (may be null)
     */
    String phonemize(String normalizedText, List<String> dropped);
}
