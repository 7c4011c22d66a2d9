package dev.kokorolitert.core.text;

import dev.kokorolitert.core.Graphs;
import dev.kokorolitert.core.Tensor;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The neural G2P fallback: words the lexicons cannot spell, through the bundle's "g2p" graph
 * (converter/g2p_graph.py: a BiGRU + attention encoder-decoder, greedy, unrolled). The same steps as
 * runtime/g2p_graph.py {@code GraphFallback}; keep the two in step.
 *
 * <ul>
 *   <li>The word is NFKD-folded (accents dropped) and lower-cased; it must then be letters of the
 *       graph's alphabet, optionally in parts joined by '-', '.' or '_' (each part is spelled on its
 *       own, the results concatenated). Anything else gives null. Apostrophes inside a part go to the
 *       graph as "&lt;unk&gt;" (as g2p-en was trained: o'neill); at the ends of a part they are dropped.
 *   <li>Graph input {@code letters} int32 [1, maxLetters]: letter ids right-padded with 0. Output
 *       {@code phonemes} int32 [1, maxPhonemes]: ids into {@code phonemes} (misaki symbols, "" for
 *       the special ids); 0 from the end of the word on. No 0 means the decoding did not finish.
 *       The {@link Graphs} must hand int32 outputs back as int32 tensors.
 *   <li>A part longer than maxLetters, or one the graph does not finish, is split in halves, recursively.
 *   <li>{@link #refine} applies the refinement rules the manifest entry lists ("rules"; {@link #RULES}
 *       when the entry has none, as the g2p-en graph's did): CMUdict-style symbols into misaki's US
 *       conventions (flap T, tn for ʔn, syllabic ᵊl, -ᵻd/-ᵻz, reduced ɪ -> ə). The bundle's own graph
 *       speaks misaki directly and lists none.
 * </ul>
 */
public final class GraphG2p implements WordFallback {
    /** The graph's name in the bundle ({@link Graphs#run}). */
    public static final String GRAPH = "g2p";
    /** Its signature as converter/g2p_graph.py exports it. */
    public static final String SIGNATURE = "g2p";
    /** Every refinement rule, as runtime/g2p_graph.py RULES. */
    public static final List<String> RULES = Collections.unmodifiableList(java.util.Arrays.asList(
            "flap", "glottal", "syllabic_l", "ed", "es", "reduced_i"));

    private static final String VOWEL_CHARS = "AIOWYaiuæɑɒɔəɛɜɪʊʌᵻᵊ";
    private static final Pattern SEPARATORS = Pattern.compile("[-._]+");
    private static final Pattern APOSTROPHES = Pattern.compile("['\u2019\u2018\u02bc]");
    private static final Pattern EDGE_APOSTROPHES = Pattern.compile("^'+|'+$");
    private static final Pattern MARKS = Pattern.compile("\\p{Mn}+");
    private static final int CACHE_WORDS = 8192;

    private final Graphs graphs;
    private final String signature;
    private final Map<Character, Integer> index = new HashMap<>();
    private final String[] phonemes;
    private final int maxLetters, maxPhonemes;
    private final boolean flap, glottal, syllabicL, ed, es, reducedI;
    private final Map<String, String> cache = Collections.synchronizedMap(
            new LinkedHashMap<String, String>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                    return size() > CACHE_WORDS;
                }
            });

    /**
     * @param graphs      runs the bundle's graphs; this class runs {@code GRAPH}/{@code signature}
     * @param signature   the manifest entry's "signature" ({@link #SIGNATURE})
     * @param letters     the entry's "letters": input id -> grapheme (entries longer than one character are special ids)
     * @param phonemes    the entry's "phonemes": output id -> misaki symbols
     * @param maxLetters  the entry's "max_letters" (the input length)
     * @param maxPhonemes the entry's "max_phonemes" (the output length)
     * @param rules       the entry's "rules" ({@link #RULES} when the entry has no such key)
     */
    public GraphG2p(Graphs graphs, String signature, String[] letters, String[] phonemes, int maxLetters, int maxPhonemes,
                    List<String> rules) {
        if (graphs == null || letters == null || phonemes == null || maxLetters < 1 || maxPhonemes < 1)
            throw new IllegalArgumentException("GraphG2p: graphs, vocabularies and limits are required");
        this.graphs = graphs;
        this.signature = signature != null ? signature : SIGNATURE;
        for (int i = 0; i < letters.length; i++) if (letters[i].length() == 1) index.put(letters[i].charAt(0), i);
        int unk = java.util.Arrays.asList(letters).indexOf("<unk>");
        if (unk >= 0) index.putIfAbsent('\'', unk); // g2p-en was trained with apostrophes as <unk>
        if (rules == null) rules = RULES;
        for (String r : rules)
            if (!RULES.contains(r)) throw new IllegalArgumentException("GraphG2p: unknown rule " + r + " (knows " + RULES + ")");
        flap = rules.contains("flap");
        glottal = rules.contains("glottal");
        syllabicL = rules.contains("syllabic_l");
        ed = rules.contains("ed");
        es = rules.contains("es");
        reducedI = rules.contains("reduced_i");
        this.phonemes = phonemes.clone();
        this.maxLetters = maxLetters;
        this.maxPhonemes = maxPhonemes;
    }


    @Override
    public String phonemes(String word) {
        if (word == null) return null;
        if (cache.containsKey(word)) return cache.get(word);
        List<String> parts = parts(word);
        String ps = null;
        if (parts != null) {
            StringBuilder sb = new StringBuilder();
            for (String p : parts) for (String t : refine(tokens(p), flap, glottal, syllabicL, ed, es, reducedI)) sb.append(t);
            ps = sb.length() > 0 ? sb.toString() : null;
        }
        cache.put(word, ps);
        return ps;
    }

    /** The letter runs the graph will spell, or null when the word has other characters. */
    public List<String> parts(String word) {
        String w = MARKS.matcher(Normalizer.normalize(word, Normalizer.Form.NFKD)).replaceAll("");
        w = APOSTROPHES.matcher(w).replaceAll("'").toLowerCase(Locale.ROOT);
        List<String> parts = new ArrayList<>();
        for (String p : SEPARATORS.split(w)) {
            p = EDGE_APOSTROPHES.matcher(p).replaceAll("");
            if (p.isEmpty()) continue;
            for (int i = 0; i < p.length(); i++) if (!index.containsKey(p.charAt(i))) return null;
            parts.add(p);
        }
        return parts.isEmpty() ? null : parts;
    }

    /** Raw output ids of one graph run on 1..maxLetters letters of the alphabet. */
    public int[] runIds(String letters) {
        int[] ids = new int[maxLetters];
        for (int i = 0; i < letters.length(); i++) ids[i] = index.get(letters.charAt(i));
        Map<String, Tensor> in = new HashMap<>();
        in.put("letters", Tensor.of(ids, 1, maxLetters));
        Map<String, Tensor> out;
        try {
            out = graphs.run(GRAPH, signature, in);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("g2p graph failed: " + e.getMessage(), e);
        }
        Tensor t = out.get("phonemes");
        if (t == null || t.isFloat() || t.size() != maxPhonemes)
            throw new IllegalStateException("g2p graph: output 'phonemes' missing, not int32 or not " + maxPhonemes + " values");
        for (int id : t.ints)
            if (id < 0 || id >= phonemes.length)
                throw new IllegalStateException("g2p graph: output id " + id + " outside its vocabulary");
        return t.ints.clone();
    }

    /** misaki symbols per output token (before {@link #refine}) for a run of letters of any length. */
    public List<String> tokens(String letters) {
        if (letters.length() <= maxLetters) {
            List<String> out = new ArrayList<>();
            boolean finished = false;
            for (int id : runIds(letters)) {
                if (id == 0) { // the graph writes 0 from </s> on
                    finished = true;
                    break;
                }
                if (!phonemes[id].isEmpty()) out.add(phonemes[id]);
            }
            if (finished || letters.length() < 2) return out;
        }
        int half = (letters.length() + 1) / 2; // too long for the graph, or unfinished: halves
        List<String> out = new ArrayList<>(tokens(letters.substring(0, half)));
        out.addAll(tokens(letters.substring(half)));
        return out;
    }

    private static boolean vowel(String tok) {
        for (int i = 0; i < tok.length(); i++) if (VOWEL_CHARS.indexOf(tok.charAt(i)) >= 0) return true;
        return false;
    }

    private static boolean unstressedVowel(String tok) {
        return vowel(tok) && tok.charAt(0) != 'ˈ' && tok.charAt(0) != 'ˌ';
    }

    private static boolean sibilant(String tok) {
        return tok.length() == 1 && "szʃʒʧʤ".indexOf(tok.charAt(0)) >= 0;
    }

    /** runtime/g2p_graph.py {@code refine} with every rule: CMUdict-style symbols -> misaki's US spelling. */
    public static List<String> refine(List<String> tokens) {
        return refine(tokens, true, true, true, true, true, true);
    }

    /** runtime/g2p_graph.py {@code refine} with the rules given by flag (all false: the tokens unchanged). */
    public static List<String> refine(List<String> tokens, boolean flap, boolean glottal, boolean syllabicL,
                                      boolean ed, boolean es, boolean reducedI) {
        String[] tok = tokens.toArray(new String[0]);
        int n = tok.length;
        for (int i = 0; i < n; i++) {
            String prev = i > 0 ? tok[i - 1] : "";
            String nxt = i + 1 < n ? tok[i + 1] : "";
            String after = i + 2 < n ? tok[i + 2] : "";
            boolean last = i + 2 == n; // tok[i] is the next-to-last token
            if (tok[i].equals("t") && (vowel(prev) || prev.equals("ɹ"))) {
                if (glottal && nxt.equals("ə") && after.equals("n") && (i + 3 == n || !vowel(tok[i + 3])))
                    tok[i + 1] = ""; // glottal: ʔn, which Kokoro v1.0 reads as tn
                else if (flap && unstressedVowel(nxt))
                    tok[i] = "T"; // flap
            } else if (syllabicL && tok[i].equals("ə") && last && nxt.equals("l") && !prev.isEmpty() && !vowel(prev)) {
                tok[i] = "ᵊ"; // syllabic l
            } else if (ed && (tok[i].equals("ɪ") || tok[i].equals("ə")) && last && nxt.equals("d")
                    && (prev.equals("t") || prev.equals("T") || prev.equals("d"))) {
                tok[i] = "ᵻ"; // -ed
            } else if (es && tok[i].equals("ɪ") && last && nxt.equals("z") && sibilant(prev)) {
                tok[i] = "ᵻ"; // -es
            } else if (reducedI && tok[i].equals("ɪ") && !nxt.isEmpty() && !vowel(nxt)
                    && (vowel(after) || (nxt.equals("k") && after.equals("l")))) {
                tok[i] = "ə"; // reduced i
            }
        }
        List<String> out = new ArrayList<>();
        for (String t : tok) if (!t.isEmpty()) out.add(t);
        return out;
    }
}
