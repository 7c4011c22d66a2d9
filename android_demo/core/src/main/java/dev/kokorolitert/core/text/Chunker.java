package dev.kokorolitert.core.text;

import dev.kokorolitert.core.Tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.kokorolitert.core.text.Normalizer.S;
import static dev.kokorolitert.core.text.Normalizer.isSpace;
import static dev.kokorolitert.core.text.Normalizer.rx;

/**
 * Split long text into model-sized chunks, lazily: a port of runtime/chunker.py {@code split_text}
 * (without word timestamps), making the same decisions.
 *
 * <p>Text is split into paragraphs, raw segments (each normalised just before it is chunked), then
 * sentences; a sentence whose {@code ids.length + 2} exceeds {@code maxTokens} is split at clause
 * punctuation and, if a clause is still too long, between words; neighbouring pieces are packed
 * greedily back together while they fit. A word that cannot fit raises {@link TextTooLong}. Pauses:
 * paragraph break {@link #PAUSE_PARAGRAPH}, sentence end {@link #PAUSE_SENTENCE}, clause break
 * {@link #PAUSE_CLAUSE}, between words {@link #PAUSE_WORD}; the last chunk of the text gets 0.
 *
 * <p>The iterator works one sentence at a time; its {@code hasNext()}/{@code next()} throw
 * {@link TextError} where the Python generator raises, after the same chunks.
 */
public final class Chunker {
    private Chunker() {
    }

    public static final float PAUSE_PARAGRAPH = 0.6f;
    public static final float PAUSE_SENTENCE = 0.3f;
    public static final float PAUSE_CLAUSE = 0.12f;
    public static final float PAUSE_WORD = 0.0f;

    /** A piece with more letters and digits than this many per token cannot fit. */
    static final int MAX_CHARS_PER_TOKEN = 8;

    /** Python's {@code TextError}: the text cannot be spoken as asked. */
    public static class TextError extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public TextError(String message) {
            super(message);
        }
    }

    /** A single word needs more than {@code maxTokens} tokens. */
    public static final class TextTooLong extends TextError {
        private static final long serialVersionUID = 1L;
        public final String word;

        TextTooLong(String word, String message) {
            super(message);
            this.word = word;
        }
    }

    /** What split_text needs of {@code kokoro_litert.runtime.g2p.PUNCTUATION}. */
    static final String PUNCTUATION = ";:,.!?—…\"“”()";

    // anchored at the start of a run of terminators (a long run is tried once, not at every position)
    private static final Pattern SENT_END_RE = rx("(?<![.!?…])[.!?…]+[\"'”’)\\]]*(?=[" + S + "])");
    private static final Pattern CLAUSE_RE = rx("(?:[,;:]|—)[\"'”’)\\]]*(?=[" + S + "])|—(?=[^" + S + "])");
    private static final Pattern WORD_RE = rx("[^" + S + "]+");
    private static final Pattern NEXT_CHAR_RE = rx("[" + S + "]*([^" + S + "])");
    private static final Pattern PREV_WORD_RE = rx("([^" + S + "]+)$");
    private static final Pattern SINGLE_CAPITAL_RE = rx("[A-Z]");

    /** Chunks of {@code text} whose {@code ids.length + 2 <= maxTokens}, lazily. */
    public static Iterator<TextChunk> split(String text, Phonemizer g2p, Tokenizer tokenizer, int maxTokens) {
        return split(text, g2p, tokenizer, maxTokens, 0);
    }

    /**
     * As {@link #split(String, Phonemizer, Tokenizer, int)}; {@code firstMaxTokens != 0} (Python: truthy)
     * makes the first chunk aim for fewer tokens by ending it at a clause boundary of the first sentence.
     */
    public static Iterator<TextChunk> split(String text, Phonemizer g2p, Tokenizer tokenizer, int maxTokens,
                                            int firstMaxTokens) {
        if (maxTokens < 3) throw new IllegalArgumentException("max_tokens must be at least 3, got " + maxTokens);
        if (text == null || Normalizer.strip(text).isEmpty()) throw new TextError("text is empty");
        Splitter splitter = new Splitter(g2p, tokenizer, maxTokens);
        if (firstMaxTokens != 0) splitter.budget = Math.min(Math.max(3, firstMaxTokens), maxTokens);
        return new Chunks(text, splitter);
    }

    // --- helpers --------------------------------------------------------------------------------

    private static boolean isSentenceEnd(String para, Matcher m) {
        Matcher nxt = Normalizer.matchAt(NEXT_CHAR_RE, para, m.end());
        if (nxt == null) return true;
        if (Character.isLowerCase(nxt.group(1).codePointAt(0))) return false;
        String g = m.group();
        if (g.startsWith(".") && Normalizer.rstripChars(g, "\"'”’)]").length() == 1) {
            Matcher prev = Normalizer.searchIn(PREV_WORD_RE, para, Normalizer.back(para, m.start(), 40), m.start());
            String w = prev != null ? Normalizer.lstripChars(prev.group(1), "\"'“‘([") : "";
            if (Normalizer.NON_TERMINAL_ABBREVIATIONS.contains(Normalizer.rstripChars(Normalizer.lower(w), "."))
                    || SINGLE_CAPITAL_RE.matcher(w).matches()) return false;
        }
        return true;
    }

    /** Letters and digits (Python {@code sum(c.isalnum() for c in text)}). */
    static int letters(String text) {
        return (int) text.codePoints().filter(Normalizer::isAlnum).count();
    }

    /** Python {@code _strip}: the span without surrounding whitespace. */
    static int[] strip(String para, int s, int e) {
        while (s < e && isSpace(para.charAt(s))) s++;
        while (e > s && isSpace(para.charAt(e - 1))) e--;
        return new int[] {s, e};
    }

    static float pauseFor(String piece) {
        String tail = Normalizer.rstripChars(Normalizer.rstrip(piece), "\"'”’)]");
        if (tail.endsWith(".") || tail.endsWith("!") || tail.endsWith("?") || tail.endsWith("…")) return PAUSE_SENTENCE;
        if (tail.endsWith(",") || tail.endsWith(";") || tail.endsWith(":") || tail.endsWith("—")) return PAUSE_CLAUSE;
        return PAUSE_WORD;
    }

    static boolean pronounceable(String phonemes) {
        return phonemes.codePoints().anyMatch(c -> !isSpace(c) && PUNCTUATION.indexOf(c) < 0);
    }

    private static int[] concat(int[] a, int[] sep, int[] b) {
        int[] out = new int[a.length + sep.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(sep, 0, out, a.length, sep.length);
        System.arraycopy(b, 0, out, a.length + sep.length, b.length);
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** A span of the normalised segment with its phonemes, ids and dropped words. */
    static final class Piece {
        final int start, end;
        final String ps;
        final int[] ids;
        final List<String> dropped;

        Piece(int start, int end, String ps, int[] ids, List<String> dropped) {
            this.start = start;
            this.end = end;
            this.ps = ps;
            this.ids = ids;
            this.dropped = dropped;
        }
    }

    static final class Splitter {
        final Phonemizer g2p;
        final Tokenizer tok;
        final int maxTokens; // hard limit: the largest bucket
        int budget; // what chunks aim for (smaller for a fast first chunk)
        final int[] space;

        Splitter(Phonemizer g2p, Tokenizer tok, int maxTokens) {
            this.g2p = g2p;
            this.tok = tok;
            this.maxTokens = maxTokens;
            this.budget = maxTokens;
            int[] sp = tok.encode(" ");
            this.space = sp.length == 1 ? sp : new int[0];
        }

        boolean fits(int[] ids) {
            return ids.length + 2 <= budget;
        }

        /** Certainly longer than {@code maxTokens}, without phonemizing it. */
        boolean tooLong(String text) {
            long limit = (long) MAX_CHARS_PER_TOKEN * maxTokens;
            return Normalizer.cpLen(text) > limit && letters(text) > limit;
        }

        Piece encode(String para, int s, int e) {
            List<String> dropped = new ArrayList<>();
            String ps = g2p.phonemize(para.substring(s, e), dropped);
            return new Piece(s, e, ps, tok.encode(ps), dropped);
        }

        /** A packed group ({@code a} then {@code b}); the phonemes joined by a space. */
        Piece join(Piece a, Piece b) {
            if (a.ps.isEmpty()) return new Piece(a.start, b.end, b.ps, b.ids, concat(a.dropped, b.dropped));
            if (b.ps.isEmpty()) return new Piece(a.start, b.end, a.ps, a.ids, concat(a.dropped, b.dropped));
            return new Piece(a.start, b.end, a.ps + " " + b.ps, concat(a.ids, space, b.ids), concat(a.dropped, b.dropped));
        }

        /** Greedily pack consecutive spans while they fit; split too-long spans one level down. */
        void pack(String para, List<int[]> spans, boolean wordLevel, Sink out) {
            Piece cur = null;
            for (int[] span : spans) {
                String piece = para.substring(span[0], span[1]);
                Piece p;
                if (tooLong(piece)) {
                    if (wordLevel) throw tooLongWord(piece, -1);
                    p = new Piece(span[0], span[1], "", new int[maxTokens], new ArrayList<>()); // not phonemized: split below
                } else {
                    p = encode(para, span[0], span[1]);
                }
                if (!fits(p.ids)) {
                    if (cur != null) {
                        out.emit(finish(para, cur));
                        cur = null;
                    }
                    if (wordLevel || p.ids.length + 2 <= maxTokens) {
                        // over the budget but within the limit: a chunk of its own (a clause is never
                        // cut between words to meet the smaller first-chunk budget)
                        if (p.ids.length + 2 > maxTokens) throw tooLongWord(piece, p.ids.length + 2);
                        out.emit(p);
                        continue;
                    }
                    List<int[]> words = new ArrayList<>();
                    Matcher m = WORD_RE.matcher(piece);
                    while (m.find()) words.add(Chunker.strip(para, m.start() + span[0], m.end() + span[0]));
                    pack(para, words, true, out);
                    continue;
                }
                if (cur == null) {
                    cur = p;
                    continue;
                }
                Piece joined = join(cur, p);
                if (fits(joined.ids)) {
                    cur = joined;
                } else {
                    out.emit(finish(para, cur));
                    cur = p;
                }
            }
            if (cur != null) out.emit(finish(para, cur));
        }

        private TextTooLong tooLongWord(String word, int tokens) {
            int n = Normalizer.cpLen(word);
            String shown = n > 40 ? word.substring(0, Normalizer.forward(word, 0, 40)) + "..." : word;
            String need = tokens < 0 ? "needs more than" : "needs " + tokens + " tokens, more than";
            return new TextTooLong(word, "word '" + shown + "' (" + n + " characters) " + need + " max_tokens=" + maxTokens
                    + (tokens < 0 ? " tokens" : ""));
        }

        /** Re-phonemize a packed group as one text (context across pieces) if it still fits. */
        Piece finish(String para, Piece cur) {
            Piece p = encode(para, cur.start, cur.end);
            return !p.ps.equals(cur.ps) && fits(p.ids) ? p : cur;
        }

        void sentence(String para, int s, int e, Sink out) {
            String text = para.substring(s, e);
            if (Normalizer.cpLen(text) <= (long) MAX_CHARS_PER_TOKEN * maxTokens) { // else it cannot fit
                Piece p = encode(para, s, e);
                if (fits(p.ids)) {
                    out.emit(p);
                    return;
                }
            }
            List<int[]> clauses = new ArrayList<>();
            int start = 0;
            Matcher m = CLAUSE_RE.matcher(text);
            while (m.find()) {
                clauses.add(Chunker.strip(para, s + start, s + m.end()));
                start = m.end();
            }
            if (!Normalizer.strip(text.substring(start)).isEmpty()) clauses.add(Chunker.strip(para, s + start, e));
            clauses.removeIf(c -> c[1] <= c[0]);
            pack(para, clauses, false, out);
        }
    }

    interface Sink {
        void emit(Piece p);
    }

    /** The split_text generator as an iterator: paragraphs, segments, sentences, pieces. */
    private static final class Chunks implements Iterator<TextChunk>, Sink {
        private final String text;
        private final Splitter splitter;
        private final Iterator<String> paragraphs;
        private Iterator<String> segments;
        private String norm;
        private Matcher sentEnds; // over norm
        private int sentStart;
        private boolean sentDone = true;
        private final ArrayDeque<Piece> pieces = new ArrayDeque<>();
        private RuntimeException error; // raised once the pieces before it are used
        private TextChunk pending;
        private boolean pendingInParagraph;
        private final List<String> lost = new ArrayList<>(); // dropped words of unpronounceable pieces
        private TextChunk ready;
        private boolean finished;

        Chunks(String text, Splitter splitter) {
            this.text = text;
            this.splitter = splitter;
            this.paragraphs = Normalizer.paragraphs(text).iterator();
        }

        @Override
        public void emit(Piece p) {
            pieces.add(p);
            // what split_text does when this piece reaches it (before the generator resumes)
            if (pronounceable(p.ps)) splitter.budget = splitter.maxTokens;
        }

        @Override
        public boolean hasNext() {
            if (ready == null && !finished) ready = advance();
            return ready != null;
        }

        @Override
        public TextChunk next() {
            if (!hasNext()) throw new NoSuchElementException();
            TextChunk c = ready;
            ready = null;
            return c;
        }

        /** The next chunk, or null at the end. */
        private TextChunk advance() {
            while (true) {
                if (!pieces.isEmpty()) {
                    Piece p = pieces.poll();
                    if (!pronounceable(p.ps)) {
                        lost.addAll(p.dropped);
                        continue;
                    }
                    String piece = norm.substring(p.start, p.end);
                    TextChunk chunk = new TextChunk(piece, p.ps, p.ids, pauseFor(piece), concat(lost, p.dropped));
                    lost.clear();
                    TextChunk previous = pending;
                    pending = chunk;
                    pendingInParagraph = true;
                    if (previous != null) return previous;
                    continue;
                }
                if (error != null) {
                    finished = true;
                    throw error;
                }
                int[] sent = nextSentence();
                if (sent != null) {
                    int[] span = strip(norm, sent[0], sent[1]);
                    if (span[1] <= span[0]) continue;
                    try {
                        splitter.sentence(norm, span[0], span[1], this);
                    } catch (TextError e) {
                        error = e;
                    }
                    continue;
                }
                if (segments != null && segments.hasNext()) {
                    // normalise first (one segment at a time), so numbers and symbols become the
                    // words that are counted and split
                    norm = Normalizer.normalizeSegment(segments.next());
                    sentEnds = SENT_END_RE.matcher(norm);
                    sentStart = 0;
                    sentDone = false;
                    continue;
                }
                if (segments != null && pendingInParagraph) pending = pending.withPause(PAUSE_PARAGRAPH);
                pendingInParagraph = false;
                if (paragraphs.hasNext()) {
                    segments = Normalizer.segments(paragraphs.next()).iterator();
                    continue;
                }
                finished = true;
                if (pending == null) {
                    String head = text.substring(0, Normalizer.forward(text, 0, Math.min(60, Normalizer.cpLen(text))));
                    throw new TextError("nothing pronounceable in text: '" + head + "'");
                }
                List<String> dropped = concat(pending.dropped, lost);
                return new TextChunk(pending.text, pending.phonemes, pending.ids, 0f, dropped);
            }
        }

        /** Python {@code _sentences(norm)}: the next sentence span, or null. */
        private int[] nextSentence() {
            if (sentDone) return null;
            while (sentEnds.find()) {
                if (isSentenceEnd(norm, sentEnds)) {
                    int[] span = {sentStart, sentEnds.end()};
                    sentStart = sentEnds.end();
                    return span;
                }
            }
            sentDone = true;
            if (!Normalizer.strip(norm.substring(sentStart)).isEmpty()) return new int[] {sentStart, norm.length()};
            return null;
        }
    }
}
