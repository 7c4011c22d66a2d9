package dev.kokorolitert.core.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lexicon-first English G2P into Kokoro's misaki phonemes: a port of runtime/g2p.py
 * {@code G2P.phonemize(text, normalized=True, dropped=...)}; its docstring describes the rules.
 *
 * <p>Words the lexicons cannot spell go to the {@link WordFallback} (where Python calls espeak-ng);
 * with a null fallback they are dropped and reported, as Python's {@code G2P(fallback=False)}.
 *
 * <p>Python string semantics are kept where they matter: lengths and the first-letter split count
 * code points, {@code \w}/{@code \s}/{@code strip()} use Python's Unicode classes, case mapping is
 * locale-independent. Thread-safe (no mutable state).
 */
public final class G2p implements Phonemizer {
    private static final String PRIMARY = "ˈ";
    private static final String SECONDARY = "ˌ";
    private static final String STRESSES = "ˌˈ";
    private static final String NON_QUOTE_PUNCTS = ";:,.!?—…";
    private static final String VOWELS = "AIOQWYaiuæɑɒɔəɛɜɪʊʌᵻ";
    private static final String CONSONANTS = "bdfhjklmnpstvwzðŋɡɹɾʃʒʤʧθ";
    private static final String US_TAUS = "AIOWYiuæɑəɛɪɹʊʌ";
    private static final String SENTENCE_END = ".!?…";

    // Python's \s (str.isspace) and [^\W_] (str.isalnum: categories L and N), spelled out: Java's own
    // \s is ASCII-only and its Unicode \w also takes marks and connector punctuation.
    private static final String PY_SPACE = "\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
            + "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
    private static final String ALNUM = "[\\p{L}\\p{N}]";

    // words, dotted initialisms (U.S., A.M), punctuation, whitespace, anything else
    private static final Pattern TOKEN_RE = Pattern.compile(
            "(?<init>(?:[A-Za-z]\\.){2,}(?=[" + PY_SPACE + "]+[a-z0-9])|[A-Za-z](?:\\.[A-Za-z])+)"
                    + "|(?<word>" + ALNUM + "+(?:['-]" + ALNUM + "+)*'?)"
                    + "|(?<punct>[;:,.!?—…\"“”()\\[\\]{}])"
                    + "|(?<space>[" + PY_SPACE + "]+)"
                    + "|(?<other>.)",
            Pattern.DOTALL);
    private static final Pattern SPACE_BEFORE_PUNCT_RE = Pattern.compile(" +([.,!?;:…])");
    private static final Pattern SPACES_RE = Pattern.compile(" {2,}");
    private static final Pattern VS_RE = Pattern.compile("vs\\.?", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern DOUBLED_ING_RE = Pattern.compile("([bcdgklmnprstvxz])\\1ing$|cking$");

    private enum Kind { INIT, WORD, PUNCT, OTHER }

    private static final class Token {
        final Kind kind;
        final String text;
        String ps;       // phonemes (or the punctuation as written out); null until read
        String ws = "";  // " " when whitespace follows

        Token(Kind kind, String text) {
            this.kind = kind;
            this.text = text;
        }

        boolean isWord() {
            return kind == Kind.WORD || kind == Kind.INIT;
        }
    }

    /** What follows a word: whether its next sound is a vowel (null: phrase end), "to" next, its heteronym key. */
    private static final class Ctx {
        static final Ctx END = new Ctx(null, false, null);
        final Boolean futureVowel;
        final boolean futureTo;
        final String tag;

        Ctx(Boolean futureVowel, boolean futureTo, String tag) {
            this.futureVowel = futureVowel;
            this.futureTo = futureTo;
            this.tag = tag;
        }
    }

    private final Lexicon lexicon;
    private final WordFallback fallback;

    /** @param fallback spells the words the lexicons cannot; null drops them */
    public G2p(Lexicon lexicon, WordFallback fallback) {
        if (lexicon == null) throw new NullPointerException("lexicon");
        this.lexicon = lexicon;
        this.fallback = fallback;
    }

    // ---- public ---------------------------------------------------------------------------------

    @Override
    public String phonemize(String normalizedText, List<String> dropped) {
        List<Token> tokens = tokenize(normalizedText);
        writePunctuation(tokens);
        Map<Integer, String> tags = heteronymTags(tokens);
        // words right to left, as misaki does, so each word sees what follows
        Ctx ctx = Ctx.END;
        for (int i = tokens.size() - 1; i >= 0; i--) {
            Token tk = tokens.get(i);
            if (tk.isWord()) {
                Ctx wctx = tags.containsKey(i) ? new Ctx(ctx.futureVowel, ctx.futureTo, tags.get(i)) : ctx;
                String ps = word(tk.text, wctx, tk.kind == Kind.INIT);
                tk.ps = ps == null ? "" : ps;
                ctx = context(ctx, tk.ps, tk.text);
            } else if (tk.kind == Kind.PUNCT) {
                ctx = context(ctx, tk.ps, tk.text);
            }
        }
        if (dropped != null) dropped.addAll(dropped(tokens));
        StringBuilder sb = new StringBuilder();
        for (Token tk : tokens) sb.append(tk.ps).append(tk.ws);
        String out = sb.toString().replace("ɾ", "T").replace("ʔ", "t");
        out = SPACE_BEFORE_PUNCT_RE.matcher(out).replaceAll("$1"); // where a dropped symbol stood: "fˈɔɹ ." -> "fˈɔɹ."
        out = SPACES_RE.matcher(out).replaceAll(" ");
        return pyStrip(out);
    }

    // ---- tokens ---------------------------------------------------------------------------------

    private static List<Token> tokenize(String text) {
        List<Token> tokens = new ArrayList<>();
        Matcher m = TOKEN_RE.matcher(text);
        while (m.find()) {
            if (m.group("space") != null) {
                if (!tokens.isEmpty()) tokens.get(tokens.size() - 1).ws = " ";
                continue;
            }
            Kind kind = m.group("init") != null ? Kind.INIT : m.group("word") != null ? Kind.WORD
                    : m.group("punct") != null ? Kind.PUNCT : Kind.OTHER;
            tokens.add(new Token(kind, m.group()));
        }
        return tokens;
    }

    /** Brackets become ( ), ASCII quotes open at the start or after whitespace/open bracket, else close. */
    private static void writePunctuation(List<Token> tokens) {
        for (int i = 0; i < tokens.size(); i++) {
            Token tk = tokens.get(i);
            if (tk.kind == Kind.PUNCT) {
                String c = tk.text;
                if (c.equals("[") || c.equals("{")) c = "(";
                else if (c.equals("]") || c.equals("}")) c = ")";
                if (c.equals("\"")) {
                    Token prev = i == 0 ? null : tokens.get(i - 1);
                    boolean opening = prev == null || !prev.ws.isEmpty() || prev.text.equals("(") || prev.text.equals("[");
                    c = opening ? "“" : "”";
                }
                tk.ps = c;
            } else if (tk.kind == Kind.OTHER) {
                tk.ps = "";
            }
        }
    }

    /** {token index: lexicon key} for the heteronyms among the tokens (see {@link Heteronyms#tag}). */
    private static Map<Integer, String> heteronymTags(List<Token> tokens) {
        List<Integer> seq = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) if (tokens.get(i).kind != Kind.OTHER) seq.add(i);
        Map<Integer, String> tags = new HashMap<>();
        for (int pos = 0; pos < seq.size(); pos++) {
            Token tk = tokens.get(seq.get(pos));
            String w = lower(tk.text);
            if (tk.kind != Kind.WORD || !Heteronyms.HETERONYMS.contains(w)) continue;
            List<String> before = new ArrayList<>();
            for (int j = pos - 1; j >= 0 && before.size() < 3 && tokens.get(seq.get(j)).kind != Kind.PUNCT; j--) {
                before.add(0, lower(tokens.get(seq.get(j)).text));
            }
            List<String> after = new ArrayList<>();
            List<String> rest = new ArrayList<>();
            boolean phrase = true;
            for (int j = pos + 1; j < seq.size() && rest.size() < 12; j++) {
                Token t = tokens.get(seq.get(j));
                if (t.text.length() == 1 && SENTENCE_END.indexOf(t.text.charAt(0)) >= 0) break;
                if (t.kind == Kind.PUNCT) {
                    phrase = false;
                } else {
                    rest.add(lower(t.text));
                    if (phrase && after.size() < 3) after.add(lower(t.text));
                }
            }
            String t = Heteronyms.tag(w, before, after, rest);
            if (t != null) tags.put(seq.get(pos), t);
        }
        return tags;
    }

    /** The words and runs of other characters (no space between) that gave no phonemes. */
    private static List<String> dropped(List<Token> tokens) {
        List<String> out = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        for (Token tk : tokens) {
            if (tk.kind == Kind.OTHER || (tk.isWord() && tk.ps.isEmpty())) {
                run.append(tk.text);
                if (tk.ws.isEmpty()) continue;
            }
            if (reportable(run)) out.add(run.toString());
            run.setLength(0);
        }
        if (reportable(run)) out.add(run.toString());
        return out;
    }

    /** Content a reader would miss (letters, digits, symbols, emoji), not punctuation or marks. */
    private static boolean reportable(CharSequence text) {
        return text.codePoints().anyMatch(cp -> {
            switch (Character.getType(cp)) {
                case Character.UPPERCASE_LETTER: case Character.LOWERCASE_LETTER: case Character.TITLECASE_LETTER:
                case Character.MODIFIER_LETTER: case Character.OTHER_LETTER:
                case Character.DECIMAL_DIGIT_NUMBER: case Character.LETTER_NUMBER: case Character.OTHER_NUMBER:
                case Character.MATH_SYMBOL: case Character.CURRENCY_SYMBOL: case Character.MODIFIER_SYMBOL:
                case Character.OTHER_SYMBOL:
                    return true;
                default:
                    return false;
            }
        });
    }

    // ---- context --------------------------------------------------------------------------------

    private static Ctx context(Ctx ctx, String ps, String word) {
        Boolean vowel = ctx.futureVowel;
        for (int k = 0; k < ps.length(); k++) {
            char c = ps.charAt(k);
            if (NON_QUOTE_PUNCTS.indexOf(c) >= 0) {
                vowel = null;
                break;
            }
            if (VOWELS.indexOf(c) >= 0 || CONSONANTS.indexOf(c) >= 0) {
                vowel = VOWELS.indexOf(c) >= 0;
                break;
            }
        }
        return new Ctx(vowel, isTo(word), null);
    }

    private static boolean isTo(String word) {
        return word.equals("to") || word.equals("To") || word.equals("TO");
    }

    // ---- one word -------------------------------------------------------------------------------

    private String word(String word, Ctx ctx, boolean initialism) {
        word = Normalizer.normalize(word.replace('\u2019', '\''), Normalizer.Form.NFKC);
        if (initialism) {
            String ps = nnp(word.replace(".", ""));
            return ps != null && !ps.isEmpty() ? ps : fallback(word);
        }
        String ps = lexiconWord(word, ctx);
        if (ps == null && stripHyphens(word).contains("-")) ps = hyphenated(word);
        if (ps == null) ps = fallback(word);
        return ps;
    }

    /** Each part of "well-known" from the lexicons, or null unless all are. */
    private String hyphenated(String word) {
        StringBuilder sb = new StringBuilder();
        for (String part : word.split("-")) {
            if (part.isEmpty()) continue;
            String ps = lexiconWord(part, new Ctx(true, false, null));
            if (ps == null) return null;
            sb.append(ps);
        }
        return sb.toString();
    }

    private String lexiconWord(String word, Ctx ctx) {
        Double stress = word.equals(lower(word)) ? null : word.equals(upper(word)) ? 2.0 : 0.5;
        return getWord(word, stress, ctx);
    }

    private String special(String word, Ctx ctx) {
        if (word.equals("a") || word.equals("A")) {
            return word.equals("a") || ctx.futureVowel != null ? "ɐ" : "ˈA";
        }
        if (word.equals("am") || word.equals("Am") || word.equals("AM")) {
            return ctx.futureVowel == null || !word.equals("am") ? goldPhonemes("am", null) : "ɐm";
        }
        if (word.equals("an") || word.equals("An") || word.equals("AN")) return "ɐn";
        if (word.equals("I")) return "ˌI";
        if (isTo(word)) {
            return ctx.futureVowel == null ? goldPhonemes("to", null) : ctx.futureVowel ? "tʊ" : "tə";
        }
        if (word.equals("in") || word.equals("In") || word.equals("IN")) {
            return (ctx.futureVowel == null ? "ˈ" : "") + "ɪn";
        }
        if (word.equals("the") || word.equals("The") || word.equals("THE")) {
            return Boolean.TRUE.equals(ctx.futureVowel) ? "ði" : "ðə";
        }
        if (word.equals("used") || word.equals("Used") || word.equals("USED")) {
            return goldPhonemes("used", ctx.futureTo ? "VBD" : "DEFAULT");
        }
        if (Heteronyms.LEAD_METAL_KEY.equals(ctx.tag)) return Heteronyms.LEAD_METAL;
        if (VS_RE.matcher(word).matches()) return lookup("versus", null, ctx);
        return null;
    }

    /** A gold entry's phonemes, at {@code tag} when it is keyed by part of speech. */
    private String goldPhonemes(String word, String tag) {
        Lexicon.Entry e = lexicon.gold(word);
        return e.isTagged() ? e.byTag().get(tag) : e.phonemes();
    }

    /** Spell a word letter by letter (misaki get_NNP). */
    private String nnp(String word) {
        StringBuilder sb = new StringBuilder();
        int letters = 0;
        for (int k = 0; k < word.length(); k = word.offsetByCodePoints(k, 1)) {
            int cp = word.codePointAt(k);
            if (!Character.isLetter(cp)) continue;
            Lexicon.Entry e = lexicon.gold(upper(new String(Character.toChars(cp))));
            if (e == null || e.isTagged()) return null;
            sb.append(e.phonemes());
            letters++;
        }
        if (letters == 0) return null;
        String ps = applyStress(sb.toString(), 0.0);
        int last = ps.lastIndexOf(SECONDARY);
        return last < 0 ? ps : ps.substring(0, last) + PRIMARY + ps.substring(last + 1);
    }

    private boolean isKnown(String word) {
        if (lexicon.inGold(word) || lexicon.inSilver(word)) return true;
        if (!isAlpha(word)) return false;
        for (int k = 0; k < word.length(); k++) {
            char c = word.charAt(k);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) return false; // letters (and ' -) of the lexicons
        }
        if (word.length() == 1) return true;
        if (word.equals(upper(word)) && lexicon.inGold(lower(word))) return true;
        String tail = word.substring(1);
        return tail.equals(upper(tail));
    }

    private String lookup(String word, Double stress, Ctx ctx) {
        if (word.equals(upper(word)) && !lexicon.inGold(word)) word = lower(word);
        Lexicon.Entry e = lexicon.gold(word);
        if (e == null) e = lexicon.silver(word);
        String ps = null;
        if (e != null && e.isTagged()) {
            Map<String, String> byTag = e.byTag();
            if (ctx != null && ctx.tag != null && byTag.containsKey(ctx.tag)) ps = byTag.get(ctx.tag);
            else if (ctx != null && ctx.futureVowel == null && byTag.containsKey("None")) ps = byTag.get("None");
            else ps = byTag.get("DEFAULT");
        } else if (e != null) {
            ps = e.phonemes();
        }
        if (ps == null) return nnp(word);
        return applyStress(ps, stress);
    }

    private static String s(String stem) {
        if (stem == null || stem.isEmpty()) return null;
        char last = stem.charAt(stem.length() - 1);
        if ("ptkfθ".indexOf(last) >= 0) return stem + "s";
        if ("szʃʒʧʤ".indexOf(last) >= 0) return stem + "ᵻz";
        return stem + "z";
    }

    private String stemS(String word, Double stress, Ctx ctx) {
        if (len(word) < 3 || !word.endsWith("s")) return null;
        String stem;
        if (!word.endsWith("ss") && isKnown(cut(word, 1))) {
            stem = cut(word, 1);
        } else if ((word.endsWith("'s") || (len(word) > 4 && word.endsWith("es") && !word.endsWith("ies")))
                && isKnown(cut(word, 2))) {
            stem = cut(word, 2);
        } else if (len(word) > 4 && word.endsWith("ies") && isKnown(cut(word, 3) + "y")) {
            stem = cut(word, 3) + "y";
        } else {
            return null;
        }
        return s(lookup(stem, stress, ctx));
    }

    private static String ed(String stem) {
        if (stem == null || stem.isEmpty()) return null;
        char last = stem.charAt(stem.length() - 1);
        if ("pkfθʃsʧ".indexOf(last) >= 0) return stem + "t";
        if (last == 'd') return stem + "ᵻd";
        if (last != 't') return stem + "d";
        if (stem.length() < 2) return stem + "ɪd";
        if (US_TAUS.indexOf(stem.charAt(stem.length() - 2)) >= 0) return stem.substring(0, stem.length() - 1) + "ɾᵻd";
        return stem + "ᵻd";
    }

    private String stemEd(String word, Double stress, Ctx ctx) {
        if (len(word) < 4 || !word.endsWith("d")) return null;
        String stem;
        if (!word.endsWith("dd") && isKnown(cut(word, 1))) {
            stem = cut(word, 1);
        } else if (len(word) > 4 && word.endsWith("ed") && !word.endsWith("eed") && isKnown(cut(word, 2))) {
            stem = cut(word, 2);
        } else {
            return null;
        }
        return ed(lookup(stem, stress, ctx));
    }

    private static String ing(String stem) {
        if (stem == null || stem.isEmpty()) return null;
        int n = stem.length();
        if (n > 1 && stem.charAt(n - 1) == 't' && US_TAUS.indexOf(stem.charAt(n - 2)) >= 0) {
            return stem.substring(0, n - 1) + "ɾɪŋ";
        }
        return stem + "ɪŋ";
    }

    private String stemIng(String word, Double stress, Ctx ctx) {
        if (len(word) < 5 || !word.endsWith("ing")) return null;
        String stem;
        if (len(word) > 5 && isKnown(cut(word, 3))) {
            stem = cut(word, 3);
        } else if (isKnown(cut(word, 3) + "e")) {
            stem = cut(word, 3) + "e";
        } else if (len(word) > 5 && DOUBLED_ING_RE.matcher(word).find() && isKnown(cut(word, 4))) {
            stem = cut(word, 4);
        } else {
            return null;
        }
        return ing(lookup(stem, stress, ctx));
    }

    /** misaki.en.Lexicon.get_word without POS tags. */
    private String getWord(String word, Double stress, Ctx ctx) {
        String ps = special(word, ctx);
        if (ps != null) return ps;
        String wl = lower(word);
        if (len(word) > 1 && isAlpha(word.replace("'", "")) && !word.equals(wl)
                && !lexicon.inGold(word) && !lexicon.inSilver(word)
                && (word.equals(upper(word)) || tail(word).equals(lower(tail(word))))
                && (lexicon.inGold(wl) || lexicon.inSilver(wl) || stemS(wl, stress, ctx) != null
                    || stemEd(wl, stress, ctx) != null || stemIng(wl, stress, ctx) != null)) {
            word = wl;
        }
        if (isKnown(word)) return lookup(word, stress, ctx);
        if (word.endsWith("s'") && isKnown(cut(word, 2) + "'s")) return lookup(cut(word, 2) + "'s", stress, ctx);
        if (word.endsWith("'") && isKnown(cut(word, 1))) return lookup(cut(word, 1), stress, ctx);
        ps = stemS(word, stress, ctx);
        if (ps == null) ps = stemEd(word, stress, ctx);
        if (ps == null) ps = stemIng(word, stress == null ? 0.5 : stress, ctx);
        return ps;
    }

    private String fallback(String word) {
        if (fallback == null) return null;
        String ps = fallback.phonemes(word);
        return ps == null || ps.isEmpty() ? null : ps;
    }

    // ---- stress ---------------------------------------------------------------------------------

    /** misaki.en.apply_stress. */
    static String applyStress(String ps, Double stress) {
        if (stress == null || ps == null) return ps;
        double st = stress;
        if (st < -1) return ps.replace(PRIMARY, "").replace(SECONDARY, "");
        if (st == -1 || ((st == 0 || st == -0.5) && ps.contains(PRIMARY))) {
            return ps.replace(SECONDARY, "").replace(PRIMARY, SECONDARY);
        }
        if ((st == 0 || st == 0.5 || st == 1) && !hasAny(ps, STRESSES)) {
            return !hasAny(ps, VOWELS) ? ps : restress(SECONDARY, ps);
        }
        if (st >= 1 && !ps.contains(PRIMARY) && ps.contains(SECONDARY)) return ps.replace(SECONDARY, PRIMARY);
        if (st > 1 && !hasAny(ps, STRESSES)) return !hasAny(ps, VOWELS) ? ps : restress(PRIMARY, ps);
        return ps;
    }

    /** misaki's restress of {@code mark + ps} (ps unstressed, with a vowel): the mark moves before the first vowel. */
    private static String restress(String mark, String ps) {
        for (int k = 0; k < ps.length(); k++) {
            if (VOWELS.indexOf(ps.charAt(k)) >= 0) return ps.substring(0, k) + mark + ps.substring(k);
        }
        throw new IllegalArgumentException("no vowel in " + ps);
    }

    private static boolean hasAny(String s, String chars) {
        for (int k = 0; k < s.length(); k++) if (chars.indexOf(s.charAt(k)) >= 0) return true;
        return false;
    }

    // ---- Python str semantics -------------------------------------------------------------------

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    /** len(s): code points. */
    private static int len(String s) {
        return s.codePointCount(0, s.length());
    }

    /** s[1:] by code point. */
    private static String tail(String s) {
        return s.isEmpty() ? s : s.substring(s.offsetByCodePoints(0, 1));
    }

    /** s[:-n] where the last n characters are ASCII (callers check the suffix first). */
    private static String cut(String s, int n) {
        return s.substring(0, s.length() - n);
    }

    /** str.isalpha(): non-empty, every code point a letter (categories L*). */
    private static boolean isAlpha(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
    }

    /** str.strip() with no argument: Python's Unicode whitespace. */
    private static String pyStrip(String s) {
        int a = 0, b = s.length();
        while (a < b && isPySpace(s.charAt(a))) a++;
        while (b > a && isPySpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    /** str.isspace() for one character (the class PY_SPACE spells out). */
    private static boolean isPySpace(char c) {
        return c >= '\t' && c <= '\r' || c >= 0x1C && c <= 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || c >= 0x2000 && c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    private static String stripHyphens(String s) {
        int a = 0, b = s.length();
        while (a < b && s.charAt(a) == '-') a++;
        while (b > a && s.charAt(b - 1) == '-') b--;
        return s.substring(a, b);
    }
}
