package dev.kokorolitert.core.text;

/** Phonemes for one word the lexicons cannot spell (the neural G2P graph); null when it cannot. */
public interface WordFallback {
    String phonemes(String word);
}
