package dev.kokorolitert.core.text;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * English text normalisation, a port of runtime/normalize.py (same rules, same order, same output).
 *
 * <p>{@link #normalize} rewrites text into plain words the lexicon G2P can read; {@link #paragraphs},
 * {@link #segments} and {@link #normalizeSegment} let the chunker normalise lazily. Number words are
 * those of the Python {@code num2words} package (English cardinal, ordinal, year) after the project's
 * {@code _clean} (no hyphens, commas or inner "and").
 *
 * <p>Porting notes: Python's {@code re} is Unicode-aware for {@code \w \d \s \b} on str patterns, so
 * the patterns here spell those classes out ({@link #W}, {@link #D}, {@link #S}, {@link #B}) instead of
 * relying on java.util.regex (ASCII on the JVM, Unicode on Android's ICU). Python indexes strings by
 * code point, so the bounded look-back windows and {@link #SEGMENT_CHARS} count code points.
 */
public final class Normalizer {
    private Normalizer() {
    }

    // --- Python-compatible character classes ----------------------------------------------------

    /** Python {@code \w} (str.isalnum() or '_'), as the inside of a character class. */
    static final String W = "\\p{L}\\p{N}_";
    /** Python {@code \d} (Unicode decimal digits). */
    static final String D = "\\p{Nd}";
    /** Python {@code \s} (str.isspace()), as the inside of a character class. */
    static final String S = "\\t\\n\\x0B\\f\\r\\x1C-\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
    /** Python {@code [^\S\n]}: whitespace but the newline. */
    static final String S_NO_NL = "\\t\\x0B\\f\\r\\x1C-\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
    /**
     * A lookbehind operand: one code point of the class {@code cls} (the inside of [...]). The never
     * matching surrogate-pair alternative makes java.util.regex look back two chars, so that it sees
     * a supplementary character (𝐀, 😀) before the position as Python does, not its low surrogate.
     */
    static String lb(String cls) {
        return "(?:[" + cls + "]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])";
    }

    /** Python {@code \b} (a boundary between \w and non-\w). */
    static final String B = "(?:(?<=" + lb(W) + ")(?![" + W + "])|(?<!" + lb(W) + ")(?=[" + W + "]))";

    static Pattern rx(String pattern) {
        // UNIX_LINES: only \n ends a line for '.' and '$', as in Python
        return Pattern.compile(pattern, Pattern.UNIX_LINES);
    }

    static Pattern rxI(String pattern) {
        return Pattern.compile(pattern, Pattern.UNIX_LINES | Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /** Python str.isspace() of one code point. */
    static boolean isSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    // Python str.isdigit() is true for these (Numeric_Type=Digit) as well as for decimal digits
    private static final int[] OTHER_DIGITS = {
        0xB2, 0xB3, 0xB9, 0xB9, 0x1369, 0x1371, 0x19DA, 0x19DA, 0x2070, 0x2070, 0x2074, 0x2079,
        0x2080, 0x2089, 0x2460, 0x2468, 0x2474, 0x247C, 0x2488, 0x2490, 0x24EA, 0x24EA, 0x24F5, 0x24FD,
        0x24FF, 0x24FF, 0x2776, 0x277E, 0x2780, 0x2788, 0x278A, 0x2792, 0x10A40, 0x10A43, 0x10E60, 0x10E68,
        0x11052, 0x1105A, 0x1F100, 0x1F10A};

    /** Python str.isdigit() of one code point. */
    static boolean isDigit(int c) {
        if (Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER) return true;
        for (int i = 0; i < OTHER_DIGITS.length; i += 2) {
            if (c >= OTHER_DIGITS[i] && c <= OTHER_DIGITS[i + 1]) return true;
        }
        return false;
    }

    /** Python str.isalnum() of one code point (letters and all numbers). */
    static boolean isAlnum(int c) {
        if (Character.isLetter(c)) return true;
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Python str.strip() (whitespace as str.isspace(); all such characters are in the BMP). */
    static String strip(String s) {
        int a = 0, e = s.length();
        while (a < e && isSpace(s.charAt(a))) a++;
        while (e > a && isSpace(s.charAt(e - 1))) e--;
        return s.substring(a, e);
    }

    static String lstrip(String s) {
        int a = 0;
        while (a < s.length() && isSpace(s.charAt(a))) a++;
        return s.substring(a);
    }

    static String rstrip(String s) {
        int e = s.length();
        while (e > 0 && isSpace(s.charAt(e - 1))) e--;
        return s.substring(0, e);
    }

    /** Python s.rstrip(chars) / s.lstrip(chars) for BMP {@code chars}. */
    static String rstripChars(String s, String chars) {
        int e = s.length();
        while (e > 0 && chars.indexOf(s.charAt(e - 1)) >= 0) e--;
        return s.substring(0, e);
    }

    static String lstripChars(String s, String chars) {
        int a = 0;
        while (a < s.length() && chars.indexOf(s.charAt(a)) >= 0) a++;
        return s.substring(a);
    }

    /** The index {@code n} code points before {@code pos}, clamped at 0 (Python's {@code max(0, pos - n)}). */
    static int back(String s, int pos, int n) {
        for (int k = 0; k < n && pos > 0; k++) {
            pos--;
            if (pos > 0 && Character.isLowSurrogate(s.charAt(pos)) && Character.isHighSurrogate(s.charAt(pos - 1))) pos--;
        }
        return pos;
    }

    /** The index {@code n} code points after {@code pos}, or -1 if the string has fewer. */
    static int forward(String s, int pos, int n) {
        for (int k = 0; k < n; k++) {
            if (pos >= s.length()) return -1;
            pos += Character.charCount(s.codePointAt(pos));
        }
        return pos;
    }

    static int cpLen(String s) {
        return s.codePointCount(0, s.length());
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** {@code pattern.match(text, pos)}: anchored at pos, lookbehind sees the text before it. */
    static Matcher matchAt(Pattern p, String text, int pos) {
        Matcher m = p.matcher(text);
        m.region(pos, text.length());
        m.useTransparentBounds(true);
        m.useAnchoringBounds(false);
        return m.lookingAt() ? m : null;
    }

    /** {@code pattern.search(text, start, end)} for patterns without lookaround ('$' matches at end). */
    static Matcher searchIn(Pattern p, String text, int start, int end) {
        Matcher m = p.matcher(text);
        m.region(start, end);
        return m.find() ? m : null;
    }

    interface Repl {
        String apply(Matcher m);
    }

    /** {@code re.sub(pattern, function, text)}. */
    static String sub(Pattern p, String text, Repl f) {
        Matcher m = p.matcher(text);
        if (!m.find()) return text;
        StringBuilder sb = new StringBuilder(text.length() + 16);
        int last = 0;
        do {
            sb.append(text, last, m.start()).append(f.apply(m));
            last = m.end();
        } while (m.find());
        return sb.append(text, last, text.length()).toString();
    }

    static String sub(Pattern p, String text, String literal) {
        return sub(p, text, m -> literal);
    }

    private static String or(String s) {
        return s == null ? "" : s;
    }

    private static boolean truthy(String s) {
        return s != null && !s.isEmpty();
    }

    private static Set<String> words(String spaceSeparated) {
        return new HashSet<>(Arrays.asList(spaceSeparated.split(" ")));
    }

    // --- constants ------------------------------------------------------------------------------

    /** Abbreviations after which a period does not end a sentence in normalised text (the chunker's). */
    public static final Set<String> NON_TERMINAL_ABBREVIATIONS = java.util.Collections.unmodifiableSet(
            words("mr mrs ms dr prof st mt vs e.g i.e approx fig cf ca"));

    static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December"};
    private static final Map<String, Integer> MONTH_ABBREVIATIONS = new HashMap<>();

    static {
        String[] abbr = {"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"};
        int[] month = {1, 2, 3, 4, 6, 7, 8, 9, 9, 10, 11, 12};
        for (int i = 0; i < abbr.length; i++) MONTH_ABBREVIATIONS.put(abbr[i], month[i]);
    }

    private static final Set<String> RAW_ABBREVIATIONS = new HashSet<>(NON_TERMINAL_ABBREVIATIONS);

    static {
        RAW_ABBREVIATIONS.addAll(words("no nos jr sr gen capt sgt rev gov sen rep inc ltd co corp ave blvd rd vol ch "
                + "p pp figs eg jan feb mar apr jun jul aug sep sept oct nov dec"));
    }

    private static final int MAX_INT_DIGITS = 15; // longer digit strings are read digit by digit

    // --- number words (num2words, English) ------------------------------------------------------

    private static final String[] LOW = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
        "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen"};
    private static final String[] TENS = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
        "ninety"};
    private static final String[] SCALES = {"", "thousand", "million", "billion", "trillion", "quadrillion",
        "quintillion"};
    private static final Map<String, String> ORDS = new HashMap<>();

    static {
        String[] c = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"};
        String[] o = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth"};
        for (int i = 0; i < c.length; i++) ORDS.put(c[i], o[i]);
    }

    private static void below1000(int n, StringBuilder out) {
        int h = n / 100, r = n % 100;
        if (h > 0) append(out, LOW[h] + " hundred");
        if (r >= 20) append(out, TENS[r / 10] + (r % 10 > 0 ? " " + LOW[r % 10] : ""));
        else if (r > 0) append(out, LOW[r]);
    }

    private static void append(StringBuilder out, String words) {
        if (out.length() > 0) out.append(' ');
        out.append(words);
    }

    /** num2words(n) after _clean: "one thousand two hundred thirty four" (n >= 0). */
    static String cardinal(long n) {
        if (n == 0) return "zero";
        int[] groups = new int[SCALES.length];
        int k = 0;
        for (long v = n; v > 0; v /= 1000) groups[k++] = (int) (v % 1000);
        StringBuilder out = new StringBuilder();
        for (int i = k - 1; i >= 0; i--) {
            if (groups[i] == 0) continue;
            below1000(groups[i], out);
            if (i > 0) out.append(' ').append(SCALES[i]);
        }
        return out.toString();
    }

    /** num2words(n, to="ordinal") after _clean: the last word of the cardinal made ordinal. */
    static String ordinal(long n) {
        String card = cardinal(n);
        int sp = card.lastIndexOf(' ');
        String last = card.substring(sp + 1);
        String ord = ORDS.get(last);
        if (ord == null) ord = (last.endsWith("y") ? last.substring(0, last.length() - 1) + "ie" : last) + "th";
        return card.substring(0, sp + 1) + ord;
    }

    /** num2words(y, to="year") after _clean: "nineteen oh five", "two thousand", "twenty ten". */
    static String year(long y) {
        long high = y / 100, low = y % 100;
        if (high == 0 || (high % 10 == 0 && low < 10) || high >= 100) return cardinal(y);
        String lowText = low == 0 ? "hundred" : low < 10 ? "oh " + cardinal(low) : cardinal(low);
        return cardinal(high) + " " + lowText;
    }

    private static final String[] DIGIT_WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven",
        "eight", "nine"};

    static String digits(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') append(out, DIGIT_WORDS[c - '0']);
        }
        return out.toString();
    }

    /** Cardinal/decimal digits (thousands commas allowed, leading '-') -> words (Python number_words). */
    public static String numberWords(String num) {
        num = num.replace(",", "");
        boolean neg = num.startsWith("-");
        num = lstripChars(num, "-");
        String out;
        int dot = num.indexOf('.');
        if (dot >= 0) {
            String whole = num.substring(0, dot), frac = num.substring(dot + 1);
            out = strip((whole.isEmpty() ? "" : numberWords(whole)) + " point " + digits(frac));
        } else if (num.isEmpty()) {
            return "";
        } else if ((cpLen(num) > 1 && num.startsWith("0")) || cpLen(num) > MAX_INT_DIGITS) {
            out = digits(num); // codes, phone-like strings: digit by digit
        } else {
            out = cardinal(Long.parseLong(num));
        }
        return neg ? "minus " + out : out;
    }

    static String ordinalWords(String num) {
        num = num.replace(",", "");
        if (cpLen(num) > MAX_INT_DIGITS) return digits(num);
        return ordinal(Long.parseLong(num));
    }

    static String yearWords(long y) {
        return year(y);
    }

    static String pluralise(String words) {
        int sp = words.lastIndexOf(' ');
        String head = sp >= 0 ? words.substring(0, sp) : "";
        String last = words.substring(sp + 1);
        last = last.endsWith("y") ? last.substring(0, last.length() - 1) + "ies" : last + "s";
        return strip(head + " " + last);
    }

    private static final Pattern SENTENCE_NEXT_RE = rx("[" + S + "]*$|[" + S + "]*\\n| [\"(]?[A-Z]");

    /** Does the text from {@code pos} on start a new sentence (end, line break, or a capital next)? */
    static boolean endsSentence(String text, int pos) {
        return matchAt(SENTENCE_NEXT_RE, text, pos) != null;
    }

    private static final Pattern LAST_WORD_RE = rx("([A-Za-z']+)[.,]? ?$");

    /** The word just before {@code pos} (looked for in a bounded window). */
    static String wordBefore(String text, int pos) {
        Matcher m = searchIn(LAST_WORD_RE, text, back(text, pos, 40), pos);
        return m != null ? m.group(1) : "";
    }

    // --- paragraphs and segments ----------------------------------------------------------------

    private static String lineBreaks(String text) {
        text = text.replace("\r\n", "\n");
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\r': case 0x0B: case 0x0C: case 0x1C: case 0x1D: case 0x1E: case 0x85: case 0x2028:
                    sb.append('\n');
                    break;
                case 0x2029:
                    sb.append("\n\n");
                    break;
                default:
                    sb.append(c);
            }
        }
        return sb.toString();
    }

    private static final Pattern PARAGRAPH_BREAK_RE = rx("\\n[" + S_NO_NL + "]*\\n[" + S + "]*");

    /** The paragraphs of {@code text} (separated by blank lines), lazily, raw and stripped. */
    public static Iterable<String> paragraphs(String text) {
        return () -> new Lazy() {
            final String t = lineBreaks(text);
            final Matcher m = PARAGRAPH_BREAK_RE.matcher(t);
            int start = 0;
            boolean done;

            @Override
            void fill() {
                while (queue.isEmpty() && !done) {
                    if (m.find()) {
                        String p = strip(t.substring(start, m.start()));
                        if (!p.isEmpty()) queue.add(p);
                        start = m.end();
                    } else {
                        String p = strip(t.substring(start));
                        if (!p.isEmpty()) queue.add(p);
                        done = true;
                    }
                }
            }
        };
    }

    /** An iterator filled a few items at a time by {@link #fill}. */
    abstract static class Lazy implements Iterator<String> {
        final ArrayDeque<String> queue = new ArrayDeque<>();

        abstract void fill();

        @Override
        public boolean hasNext() {
            fill();
            return !queue.isEmpty();
        }

        @Override
        public String next() {
            if (!hasNext()) throw new NoSuchElementException();
            return queue.poll();
        }
    }

    // a sentence end in raw text: a run of . ! ? ... (anchored at its start, so a long run is tried
    // once), closing quotes/brackets, then a space and something that starts a sentence
    private static final Pattern RAW_END_RE = rx("(?<![.!?…])[.!?…]+[\"'”’)\\]]*(?=[" + S + "]+[\"'“‘(\\[]?[A-Z0-9])");
    private static final Pattern INITIALISM_RE = rx("(?:[A-Za-z]\\.)*[A-Za-z]");
    /** Longer runs without a sentence end are cut (at clauses, else between words); in code points. */
    public static final int SEGMENT_CHARS = 1500;
    private static final Pattern CLAUSE_CUT_RE = rx("[,;:—](?= [^0-9" + S + "])");
    private static final Pattern LOWER_WORDS_CUT_RE = rx("(?<=[a-z][a-z]) (?=[a-z][a-z])");
    private static final Pattern ALPHA_CUT_RE = rx("(?<=" + lb("\\p{L}\\p{Nl}\\p{No}_") + ") (?=[\\p{L}\\p{Nl}\\p{No}_])"); // [^\W\d]
    private static final Pattern ANY_SPACE_RE = rx("[" + S + "]");
    private static final Pattern[] CUTS = {CLAUSE_CUT_RE, LOWER_WORDS_CUT_RE, ALPHA_CUT_RE, ANY_SPACE_RE};

    private static boolean rawSentenceEnd(String para, Matcher m) {
        String g = m.group();
        if (g.startsWith(".") && rstripChars(g, "\"'”’)]").length() == 1) {
            String window = para.substring(back(para, m.start(), 40), m.start());
            String w = "";
            if (!strip(window).isEmpty()) {
                String r = rstrip(window);
                int i = r.length();
                while (i > 0 && !isSpace(r.charAt(i - 1))) i--;
                w = r.substring(i);
            }
            w = lstripChars(w, "\"'“‘([");
            if (RAW_ABBREVIATIONS.contains(lower(w)) || INITIALISM_RE.matcher(w).matches()) return false;
        }
        return true;
    }

    /**
     * Cut a segment longer than {@link #SEGMENT_CHARS} at clause punctuation, else between two words
     * (lower-case first: never inside "March 15", "Henry VIII", "10 km"), never inside a word.
     */
    static List<String> cutLong(String seg) {
        List<String> out = new ArrayList<>();
        int off = 0;
        while (true) {
            int lim = forward(seg, off, SEGMENT_CHARS);
            if (lim < 0 || lim >= seg.length()) break; // len(seg) <= SEGMENT_CHARS
            int half = forward(seg, off, SEGMENT_CHARS / 2);
            // regex.finditer(seg, 750, 1500): lookbehind sees before 750, lookahead stops at 1500
            String window = seg.substring(off, lim);
            int cut = -1;
            for (Pattern p : CUTS) {
                Matcher m = p.matcher(window);
                m.region(half - off, window.length());
                m.useTransparentBounds(true);
                m.useAnchoringBounds(false);
                int last = -1;
                while (m.find()) last = m.end();
                if (last >= 0) {
                    cut = off + last;
                    break;
                }
            }
            if (cut < 0) { // one very long word: up to the next space
                Matcher m = ANY_SPACE_RE.matcher(seg);
                m.region(lim, seg.length());
                if (!m.find()) break;
                cut = m.end();
            }
            String head = strip(seg.substring(off, cut));
            if (!head.isEmpty()) out.add(head);
            off = cut;
            while (off < seg.length() && isSpace(seg.charAt(off))) off++;
        }
        String rest = strip(seg.substring(off));
        if (!rest.isEmpty()) out.add(rest);
        return out;
    }

    /**
     * Raw sentences of a paragraph, lazily; never cut after an abbreviation ("Dr. Smith", "No. 5",
     * "U.S. Army"), so that each can be normalised on its own. Long ones are cut.
     */
    public static Iterable<String> segments(String paragraph) {
        return () -> new Lazy() {
            final Matcher m = RAW_END_RE.matcher(paragraph);
            int start = 0;
            boolean done;

            @Override
            void fill() {
                while (queue.isEmpty() && !done) {
                    if (m.find()) {
                        if (rawSentenceEnd(paragraph, m)) {
                            String seg = strip(paragraph.substring(start, m.end()));
                            if (!seg.isEmpty()) queue.addAll(cutLong(seg));
                            start = m.end();
                        }
                    } else {
                        String seg = strip(paragraph.substring(start));
                        if (!seg.isEmpty()) queue.addAll(cutLong(seg));
                        done = true;
                    }
                }
            }
        };
    }

    // --- whitespace and punctuation -------------------------------------------------------------

    // controls (but \n), zero-width and bidi formatting characters, the BOM, variation selectors, lone
    // surrogates (from undecodable bytes)
    private static final Pattern INVISIBLE_RE = rx("[\\x00-\\x09\\x0B-\\x1F\\x7F-\\x9F\\u00AD\\u200B-\\u200F"
            + "\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFE00-\\uFE0F\\uD800-\\uDFFF]");
    private static final Pattern SPACES_RE = rx("[" + S_NO_NL + "]+");
    private static final Pattern NEWLINES_RE = rx(" ?\\n[ \\n]*");
    private static final Pattern NON_ASCII_DIGIT_RE = rx("(?![0-9])" + D); // ٣, ３, ...
    private static final Pattern COMBINING_RE = rx("[\\u0300-\\u036F\\u1AB0-\\u1AFF\\u1DC0-\\u1DFF\\u20D0-\\u20FF"
            + "\\uFE20-\\uFE2F]");

    static String whitespace(String text) {
        text = java.text.Normalizer.normalize(lineBreaks(text), java.text.Normalizer.Form.NFC);
        text = sub(COMBINING_RE, text, ""); // marks left over after composing (zalgo text): dropped
        text = text.replace("\t", " ");
        text = sub(INVISIBLE_RE, text, "");
        text = sub(SPACES_RE, text, " "); // exotic spaces and runs of spaces -> one space
        text = sub(NEWLINES_RE, text, m -> m.group().indexOf('\n') != m.group().lastIndexOf('\n') ? "\n\n" : " ");
        return sub(NON_ASCII_DIGIT_RE, text, m -> String.valueOf(Math.max(0, Character.digit(m.group().codePointAt(0), 10))));
    }

    private static final Pattern SINGLE_QUOTES_RE = rx("[\\u2018\\u2019\\u201A\\u201B\\u2032\\u00B4`]");
    private static final Pattern DOUBLE_QUOTES_RE = rx("[\\u201C\\u201D\\u201E\\u201F\\u2033\\u00AB\\u00BB]");
    private static final Pattern EN_DASH_BETWEEN_NUMBERS_RE = rx("(?<=[0-9]) ?[\\u2013\\u2012] ?(?=[0-9])");
    private static final Pattern DASH_RE = rx(" ?(?:[\\u2012\\u2013\\u2014\\u2015\\u2E3A]|--+) ?");
    private static final Pattern SPACED_HYPHEN_RE = rx("(?<=" + lb(W) + ") - (?=[" + W + "])");
    private static final Pattern ELLIPSIS_RE = rx("\\.\\.\\.+|\\. \\. \\.");

    static String punctuation(String text) {
        text = sub(SINGLE_QUOTES_RE, text, "'");
        text = sub(DOUBLE_QUOTES_RE, text, "\"");
        text = text.replace("\u2212", "-").replace("\u2010", "-").replace("\u2011", "-"); // minus, hyphens
        text = sub(EN_DASH_BETWEEN_NUMBERS_RE, text, " to "); // 1990–2000
        text = sub(DASH_RE, text, " — ");
        text = sub(SPACED_HYPHEN_RE, text, " — "); // spaced hyphen used as a dash
        return sub(ELLIPSIS_RE, text, "…");
    }

    // --- URLs and e-mail addresses --------------------------------------------------------------

    private static final String TLDS = "com|org|net|edu|gov|io|ai|co|uk|de|fr|dev|app|info|biz|me|tv|us|ca|au|in|jp|ly|gg|eu|nl|ch";
    private static final Pattern EMAIL_RE = rx("(?<!" + lb(W + ".+-") + ")[A-Za-z0-9][" + W + ".+-]{0,63}@[A-Za-z0-9-]{1,63}"
            + "(?:\\.[A-Za-z0-9-]{1,63}){1,8}");
    private static final Pattern URL_RE = rx(
            "(?<!" + lb(W + "@/.-") + ")(?:(?:https?|ftp)://|www\\.)[^" + S + "<>\"]{1,2000}"
            + "|(?<!" + lb(W + "@/.-") + ")[a-z0-9-]{1,63}(?:\\.[a-z0-9-]{1,63}){0,5}\\.(?:" + TLDS + ")(?![" + W + "-])"
            + "(?:/[^" + S + "<>\"]{0,2000})?");
    private static final Map<String, String> URL_SYMBOLS = new HashMap<>();

    static {
        String[] kv = {".", "dot", "/", "slash", "@", "at", "-", "dash", "_", "underscore", ":", "colon",
            "?", "question mark", "=", "equals", "&", "and", "#", "hash", "%", "percent", "~", "tilde", "+", "plus"};
        for (int i = 0; i < kv.length; i += 2) URL_SYMBOLS.put(kv[i], kv[i + 1]);
    }

    private static final Pattern URL_PART_RE = rx("[A-Za-z]+|[0-9]+|.");
    private static final Pattern URL_TRAIL_RE = rx("[.,;:!?)\\]'\"]+$");
    private static final Pattern URL_SCHEME_RE = rx("^(?:https?|ftp)://");

    private static boolean isAlpha(String s) {
        if (s.isEmpty()) return false;
        return s.codePoints().allMatch(Character::isLetter);
    }

    static String spellAddress(String address) {
        List<String> out = new ArrayList<>();
        Matcher m = URL_PART_RE.matcher(address);
        while (m.find()) {
            String part = m.group();
            if (isDigit(part.codePointAt(0))) {
                out.add(digits(part));
            } else if (isAlpha(part)) {
                out.add(lower(part).equals("www") ? String.join(" ", part.split("")) : part);
            } else if (URL_SYMBOLS.containsKey(part)) {
                out.add(URL_SYMBOLS.get(part));
            }
        }
        return String.join(" ", out);
    }

    static String web(String text) {
        text = sub(EMAIL_RE, text, m -> spellAddress(m.group()));
        return sub(URL_RE, text, m -> {
            String address = m.group();
            Matcher trail = URL_TRAIL_RE.matcher(address); // sentence punctuation after the address
            String tail = trail.find() ? trail.group() : "";
            address = address.substring(0, address.length() - tail.length());
            address = rstripChars(sub(URL_SCHEME_RE, address, ""), "/");
            return spellAddress(address) + tail;
        });
    }

    // --- phone numbers --------------------------------------------------------------------------

    private static final Pattern PHONE_RE = rx(
            "(?<!" + lb(W + "+-") + ")(?:(?<cc>\\+?1)[-. ])?(?<area>\\(" + D + "{3}\\)|" + D + "{3})[-. ](?<ex>" + D + "{3})[-.]"
            + "(?<line>" + D + "{4})(?![" + W + "-])"
            + "|(?<!" + lb(W + "+") + ")\\+(?<icc>" + D + "{1,3})(?<rest>(?:[-. ]\\(?" + D + "{1,4}\\)?){2,5})(?![" + W + "-])"
            + "|(?<!" + lb(W + "+-") + ")(?<local>0" + D + "{2,4}(?:[- ]" + D + "{3,6}){1,2})(?![" + W + "-])"); // 020 7946 0958
    private static final Pattern DIGIT_RUN_RE = rx(D + "+");

    private static List<String> digitGroups(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = DIGIT_RUN_RE.matcher(s);
        while (m.find()) out.add(digits(m.group()));
        return out;
    }

    static String phoneNumbers(String text) {
        return sub(PHONE_RE, text, m -> {
            List<String> groups;
            if (truthy(m.group("local"))) {
                groups = digitGroups(m.group("local"));
            } else if (truthy(m.group("icc"))) {
                groups = new ArrayList<>();
                groups.add("plus " + digits(m.group("icc")));
                groups.addAll(digitGroups(m.group("rest")));
            } else {
                groups = new ArrayList<>();
                for (String g : new String[] {m.group("cc"), m.group("area"), m.group("ex"), m.group("line")}) {
                    if (truthy(g)) groups.add(digits(g));
                }
                if (or(m.group("cc")).startsWith("+")) groups.set(0, "plus " + groups.get(0));
            }
            return String.join(", ", groups);
        });
    }

    // --- dates ----------------------------------------------------------------------------------

    private static final String MONTH_NAME = String.join("|", MONTHS) + "|Sept|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
    private static final Pattern ISO_MONTH_RE = rx("(?<![0-9-])(" + D + "{4})-(0[1-9])(?![0-9-])"); // 2024-03 (2010-12 is a range)
    private static final Pattern ISO_DATE_RE = rx("(?<![0-9-])(" + D + "{4})-(0?[1-9]|1[0-2])-(0?[1-9]|[12]" + D + "|3[01])(?![0-9-])");
    private static final Pattern NUMERIC_DATE_RE = rx("(?<![0-9/.-])(" + D + "{1,2})([/.-])(" + D + "{1,2})\\2(" + D + "{4}|"
            + D + "{2})(?![0-9/-]|\\." + D + ")");
    private static final Pattern MONTH_DAY_RE = rx(B + "(" + MONTH_NAME + ")(\\.?) (" + D + "{1,2})(?:st|nd|rd|th)?(?![0-9:])"
            + "(?:(,?) (" + D + "{4})(?![0-9]))?" + B);
    private static final Pattern DAY_MONTH_RE = rx("(?<![0-9.,])" + B + "(" + D + "{1,2})(?:st|nd|rd|th)? (?:of )?(" + MONTH_NAME
            + ")" + B + "(\\.?)(?:(,?) (" + D + "{4})(?![0-9]))?");
    private static final Pattern MONTH_YEAR_RE = rx(B + "(" + MONTH_NAME + ")(\\.?),? (" + D + "{4})(?![0-9])");

    private static String month(String name) {
        Integer i = MONTH_ABBREVIATIONS.get(name);
        return i != null ? MONTHS[i - 1] : name;
    }

    private static String dateWords(int month, int day, String year) {
        String out = MONTHS[month - 1] + " " + ordinalWords(String.valueOf(day));
        if (truthy(year)) out += ", " + (cpLen(year) == 4 ? yearWords(Long.parseLong(year)) : numberWords(year));
        return out;
    }

    static String dates(String text) {
        text = sub(ISO_DATE_RE, text, m -> dateWords(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), m.group(1)));
        text = sub(ISO_MONTH_RE, text, m -> MONTHS[Integer.parseInt(m.group(2)) - 1] + " " + yearWords(Long.parseLong(m.group(1))));
        text = sub(NUMERIC_DATE_RE, text, m -> {
            int a = Integer.parseInt(m.group(1)), b = Integer.parseInt(m.group(3));
            boolean dayFirst = m.group(2).equals(".") || (a > 12 && b <= 12); // 15.03.2024, 15/3/2024
            int month = dayFirst ? b : a, day = dayFirst ? a : b;
            if (!(1 <= month && month <= 12 && 1 <= day && day <= 31)) return m.group();
            return dateWords(month, day, m.group(4));
        });
        text = sub(MONTH_DAY_RE, text, m -> {
            String name = m.group(1), day = m.group(3), year = m.group(5);
            int d = Integer.parseInt(day);
            if ((truthy(m.group(2)) && !MONTH_ABBREVIATIONS.containsKey(name)) || !(1 <= d && d <= 31)) return m.group();
            String out = month(name) + " " + ordinalWords(day);
            return out + (truthy(year) ? ", " + yearWords(Long.parseLong(year)) : "");
        });
        final String t = text;
        text = sub(DAY_MONTH_RE, text, m -> {
            String day = m.group(1), name = m.group(2), year = m.group(5);
            int d = Integer.parseInt(day);
            if ((truthy(m.group(3)) && !MONTH_ABBREVIATIONS.containsKey(name)) || !(1 <= d && d <= 31)) return m.group();
            String the = lower(t.substring(back(t, m.start(), 4), m.start())).equals("the ") ? "" : "the ";
            String out = the + ordinalWords(day) + " of " + month(name);
            return out + (truthy(year) ? ", " + yearWords(Long.parseLong(year)) : "");
        });
        return sub(MONTH_YEAR_RE, text, m -> {
            String name = m.group(1);
            if (truthy(m.group(2)) && !MONTH_ABBREVIATIONS.containsKey(name)) return m.group();
            return month(name) + " " + yearWords(Long.parseLong(m.group(3)));
        });
    }

    // --- ranges ---------------------------------------------------------------------------------

    private static final Pattern RANGE_RE = rx("(?<!" + lb(W + ".,:/-") + ")(" + D + "+(?:[.,]" + D + "+)?(?::[0-5]" + D + ")?) ?- ?("
            + D + "+(?:[.,]" + D + "+)?(?::[0-5]" + D + ")?)(?![" + W + "/-]|[.,]" + D + ")");
    // ISBN 978-3-16-148410-0, serial numbers. Possessive (the greedy form only ever matches the whole
    // run): java.util.regex recurses once per repetition of a variable-length group.
    private static final Pattern CODE_RE = rx("(?<!" + lb(W + ".-") + ")" + D + "+(?:-" + D + "+){2,}+(?![" + W + "-])");
    private static final Pattern AMPM_RANGE_RE = rx("(?:(?<=[AaPp]\\.[Mm]\\.)|(?<=[AaPp][Mm]\\.)|(?<=[AaPp]\\.[Mm])"
            + "|(?<=[0-9 ][AaPp][Mm])) ?- ?(?=[0-9])");

    /** 10-15 -> 10 to 15; longer chains of hyphenated numbers are codes, read digit by digit. */
    static String ranges(String text) {
        text = sub(CODE_RE, text, m -> {
            List<String> out = new ArrayList<>();
            for (String g : m.group().split("-", -1)) out.add(digits(g));
            return String.join(", ", out);
        });
        text = sub(AMPM_RANGE_RE, text, " to ");
        return sub(RANGE_RE, text, m -> m.group(1) + " to " + m.group(2));
    }

    // --- abbreviations --------------------------------------------------------------------------

    private static final Map<String, String> TITLES = new LinkedHashMap<>();
    private static final Map<String, String> ENDERS = new LinkedHashMap<>();
    private static final Map<String, String> BEFORE_NUMBER = new HashMap<>();

    static {
        String[] titles = {"Mr", "Mister", "Mrs", "Mrs", "Ms", "Miz", "Prof", "Professor", "Mt", "Mount",
            "Gen", "General", "Capt", "Captain", "Sgt", "Sergeant", "Rev", "Reverend", "Gov", "Governor",
            "Sen", "Senator", "Rep", "Representative"};
        for (int i = 0; i < titles.length; i += 2) TITLES.put(titles[i], titles[i + 1]);
        String[] enders = {"Jr", "Junior", "Sr", "Senior", "Inc", "Incorporated", "Ltd", "Limited", "Co", "Company",
            "Corp", "Corporation", "Ave", "Avenue", "Blvd", "Boulevard", "Rd", "Road", "etc", "etc",
            "approx", "approximately"};
        for (int i = 0; i < enders.length; i += 2) ENDERS.put(enders[i], enders[i + 1]);
        String[] before = {"no", "number", "nos", "numbers", "fig", "figure", "figs", "figures", "vol", "volume",
            "ch", "chapter", "p", "page", "pp", "pages", "sec", "section", "eq", "equation"};
        for (int i = 0; i < before.length; i += 2) BEFORE_NUMBER.put(before[i], before[i + 1]);
    }

    private static final Pattern EG_RE = rxI(B + "(?:e\\.g\\.|eg\\.)(?=[" + S + "]|,|$)");
    private static final Pattern IE_RE = rxI(B + "i\\.e\\.(?=[" + S + "]|,|$)");
    private static final Pattern VS_RE = rxI(B + "vs\\.?(?=[" + S + "])");
    private static final Pattern CF_RE = rx(B + "cf\\.(?=[" + S + "])");
    private static final Pattern CIRCA_RE = rx(B + "(?:ca|c)\\. ?(?=[0-9])");
    private static final Pattern BEFORE_NUMBER_RE = rx(B + "(No|Nos|Fig|Figs|Vol|Ch|p|pp|Sec|Eq|no|nos|fig|figs|vol|ch|sec|eq)"
            + "\\. ?(?=[0-9])");
    private static final Pattern HASH_NUMBER_RE = rx("#(?=[0-9])");
    private static final Pattern TITLE_RE = rx(B + "(" + String.join("|", TITLES.keySet()) + ")\\.(?= )");
    private static final Pattern ENDER_RE = rx(B + "(" + String.join("|", ENDERS.keySet()) + ")\\.");
    private static final Pattern PLACE_RE = rx(B + "(Dr|St)\\.");
    private static final Pattern CAPITALISED_BEFORE_RE = rx(B + "[A-Z][a-z]+ ?$");
    private static final Pattern CAPITALISED_AFTER_RE = rx(" [A-Z]");
    private static final Pattern TWO_CAPITALISED_AFTER_RE = rx(" [A-Z][a-z]+ [A-Z]");

    /** Expansion for an abbreviation that may also end the sentence: keep the period if it does. */
    private static String ender(String word, String text, int end) {
        return endsSentence(text, end) ? word + "." : word;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + lower(s.substring(1));
    }

    static String abbreviations(String text) {
        text = sub(EG_RE, text, "for example");
        text = sub(IE_RE, text, "that is");
        text = sub(VS_RE, text, "versus");
        text = sub(CF_RE, text, "compare");
        text = sub(CIRCA_RE, text, "circa ");
        text = sub(BEFORE_NUMBER_RE, text, m -> {
            String g = m.group(1), word = BEFORE_NUMBER.get(lower(g));
            boolean cap = Character.isUpperCase(g.charAt(0)) && !g.equals("No") && !g.equals("Nos");
            return (cap ? capitalize(word) : word) + " ";
        });
        text = sub(HASH_NUMBER_RE, text, "number ");
        text = sub(TITLE_RE, text, m -> TITLES.get(m.group(1)));
        final String t = text;
        text = sub(PLACE_RE, text, m -> {
            boolean doctor = m.group(1).equals("Dr");
            String title = doctor ? "Doctor" : "Saint", street = doctor ? "Drive" : "Street";
            String window = t.substring(back(t, m.start(), 40), m.start());
            boolean prevCap = CAPITALISED_BEFORE_RE.matcher(window).find();
            boolean nextCap = matchAt(CAPITALISED_AFTER_RE, t, m.end()) != null;
            if (prevCap && !nextCap) return ender(street, t, m.end());
            if (prevCap && matchAt(TWO_CAPITALISED_AFTER_RE, t, m.end()) == null) {
                // "Main St. Then ..." vs "visited St. Louis": ambiguous; a street name before wins.
                return ender(street, t, m.end());
            }
            return title;
        });
        final String t2 = text;
        return sub(ENDER_RE, text, m -> ender(ENDERS.get(m.group(1)), t2, m.end()));
    }

    // --- currency -------------------------------------------------------------------------------

    // symbol or ISO code -> major singular, plural, minor singular, plural (null: no minor unit read)
    private static final Map<String, String[]> CURRENCIES = new HashMap<>();

    static {
        String[] dollar = {"dollar", "dollars", "cent", "cents"}, pound = {"pound", "pounds", "penny", "pence"};
        String[] euro = {"euro", "euros", "cent", "cents"}, yen = {"yen", "yen", null, null};
        String[] rupee = {"rupee", "rupees", "paisa", "paise"}, won = {"won", "won", null, null};
        CURRENCIES.put("$", dollar);
        CURRENCIES.put("USD", dollar);
        CURRENCIES.put("£", pound);
        CURRENCIES.put("GBP", pound);
        CURRENCIES.put("€", euro);
        CURRENCIES.put("EUR", euro);
        CURRENCIES.put("¥", yen);
        CURRENCIES.put("JPY", yen);
        CURRENCIES.put("₹", rupee);
        CURRENCIES.put("INR", rupee);
        CURRENCIES.put("₩", won);
        CURRENCIES.put("KRW", won);
        CURRENCIES.put("CHF", new String[] {"franc", "francs", "centime", "centimes"});
    }

    private static final Map<String, String> SCALE_ABBREVIATIONS = new HashMap<>();

    static {
        String[] kv = {"k", "thousand", "m", "million", "mn", "million", "b", "billion", "bn", "billion"};
        for (int i = 0; i < kv.length; i += 2) SCALE_ABBREVIATIONS.put(kv[i], kv[i + 1]);
    }

    private static final String NUM = D + "{1,3}(?:," + D + "{3})+|" + D + "+";
    private static final String AMOUNT = "(-?)(" + NUM + "|(?=\\." + D + "))(?:\\.(" + D + "+))?"; // $.99
    private static final String SCALE = "(?: ?(thousand|million|billion|trillion|[kK]|[mM]n?|[bB]n?)" + B + ")?";
    private static final String CODE = "(?:USD|EUR|GBP|JPY|INR|KRW|CHF)";
    private static final Pattern CURRENCY_BEFORE_RE = rx("(?<!" + lb(W + "-") + ")(-?)(?:([$£€¥₹₩]) ?|(" + CODE + ") )" + AMOUNT + SCALE);
    private static final Pattern CURRENCY_AFTER_RE = rx("(?<!" + lb(W + ".,-") + ")" + AMOUNT + "(?: ?([€£¥₹₩])| (" + CODE + ")" + B + ")");

    private static String amountWords(String unit, boolean neg, String whole, String frac, String scale) {
        String[] c = CURRENCIES.get(unit);
        String sign = neg ? "minus " : "";
        if (!truthy(whole)) whole = "0";
        if (truthy(scale)) {
            String s = SCALE_ABBREVIATIONS.getOrDefault(lower(scale), scale);
            return sign + numberWords(whole + (truthy(frac) ? "." + frac : "")) + " " + s + " " + c[1];
        }
        if (truthy(frac) && (cpLen(frac) > 2 || c[2] == null)) { // $1.234, ¥1.5: a decimal amount
            return sign + numberWords(whole + "." + frac) + " " + c[1];
        }
        String digits = whole.replace(",", "");
        Long major = cpLen(digits) <= MAX_INT_DIGITS ? Long.parseLong(digits) : null;
        long minor = truthy(frac) ? Long.parseLong(frac.length() < 2 ? frac + "0" : frac) : 0;
        List<String> parts = new ArrayList<>();
        if ((major == null || major != 0) || minor == 0) {
            parts.add(numberWords(whole) + " " + (major != null && major == 1 ? c[0] : c[1]));
        }
        if (minor != 0) parts.add(numberWords(String.valueOf(minor)) + " " + (minor == 1 ? c[2] : c[3]));
        return sign + String.join(" and ", parts);
    }

    static String currency(String text) {
        text = sub(CURRENCY_BEFORE_RE, text, m -> amountWords(m.group(2) != null ? m.group(2) : m.group(3),
                truthy(m.group(1)) || truthy(m.group(4)), m.group(5), m.group(6), m.group(7)));
        return sub(CURRENCY_AFTER_RE, text, m -> amountWords(m.group(4) != null ? m.group(4) : m.group(5),
                truthy(m.group(1)), m.group(2), m.group(3), null));
    }

    // --- times ----------------------------------------------------------------------------------

    private static final String AMPM = "(?: ?([AaPp])\\.? ?[Mm]" + B + "(\\.?))";
    private static final Pattern CLOCK_RE = rx("(?<![0-9:.])([01]?" + D + "|2[0-3]):([0-5]" + D + ")(?::([0-5]" + D + "))?(?![0-9])"
            + AMPM + "?");
    private static final Pattern HOUR_AMPM_RE = rx("(?<![0-9:.,])(1[0-2]|0?[1-9])" + AMPM);

    // "A.M"/"P.M": the G2P spells dotted initialisms letter by letter; a consumed final period that
    // also ended the sentence is put back
    private static String ampm(String letter, String dot, String text, int end) {
        return " " + letter.toUpperCase(Locale.ROOT) + ".M" + (truthy(dot) && endsSentence(text, end) ? "." : "");
    }

    static String times(String text) {
        final String t = text;
        text = sub(CLOCK_RE, text, m -> {
            int h = Integer.parseInt(m.group(1)), mnt = Integer.parseInt(m.group(2));
            String sec = m.group(3), ap = m.group(4), dot = m.group(5);
            String hour = numberWords(String.valueOf(h));
            String out;
            if (mnt == 0 && !truthy(sec)) {
                out = truthy(ap) ? hour : (0 < h && h <= 12 ? hour + " o'clock" : hour + " hundred");
            } else if (mnt < 10) {
                out = hour + " oh " + numberWords(String.valueOf(mnt));
            } else {
                out = hour + " " + numberWords(String.valueOf(mnt));
            }
            if (truthy(sec)) {
                int s = Integer.parseInt(sec);
                out += " and " + numberWords(String.valueOf(s)) + (s == 1 ? " second" : " seconds");
            }
            if (truthy(ap)) out += ampm(ap, dot, t, m.end());
            return out;
        });
        final String t2 = text;
        return sub(HOUR_AMPM_RE, text, m -> numberWords(lstripChars(m.group(1), "0")) + ampm(m.group(2), m.group(3), t2, m.end()));
    }

    // --- units ----------------------------------------------------------------------------------

    // symbol -> singular, plural; case-sensitive (MB is a megabyte, Mb would be a megabit)
    private static final Map<String, String[]> UNITS = new LinkedHashMap<>();

    static {
        String[] u = {
            "km/h", "kilometer per hour", "kilometers per hour", "kph", "kilometer per hour", "kilometers per hour",
            "m/s", "meter per second", "meters per second", "mph", "mile per hour", "miles per hour",
            "km", "kilometer", "kilometers", "cm", "centimeter", "centimeters", "mm", "millimeter", "millimeters",
            "m", "meter", "meters", "mi", "mile", "miles", "ft", "foot", "feet",
            "kg", "kilogram", "kilograms", "mg", "milligram", "milligrams", "g", "gram", "grams",
            "lbs", "pound", "pounds", "lb", "pound", "pounds", "oz", "ounce", "ounces",
            "ml", "milliliter", "milliliters", "mL", "milliliter", "milliliters",
            "°C", "degree Celsius", "degrees Celsius", "°F", "degree Fahrenheit", "degrees Fahrenheit",
            "KB", "kilobyte", "kilobytes", "kB", "kilobyte", "kilobytes", "MB", "megabyte", "megabytes",
            "GB", "gigabyte", "gigabytes", "TB", "terabyte", "terabytes",
            "ms", "millisecond", "milliseconds", "sec", "second", "seconds", "min", "minute", "minutes",
            "hr", "hour", "hours", "hrs", "hour", "hours",
            "Hz", "hertz", "hertz", "kHz", "kilohertz", "kilohertz", "MHz", "megahertz", "megahertz",
            "GHz", "gigahertz", "gigahertz", "kW", "kilowatt", "kilowatts", "kWh", "kilowatt hour", "kilowatt hours"};
        for (int i = 0; i < u.length; i += 3) UNITS.put(u[i], new String[] {u[i + 1], u[i + 2]});
    }

    private static String unitAlternation() {
        List<String> keys = new ArrayList<>(UNITS.keySet());
        keys.sort((a, b) -> b.length() - a.length()); // stable: longest first, then table order
        List<String> out = new ArrayList<>();
        for (String k : keys) out.add(Pattern.quote(k).replace("°", "\\E° ?\\Q"));
        return String.join("|", out);
    }

    private static final Pattern UNIT_RE = rx("(?<!" + lb(W + ".,-") + ")(-?)(" + NUM + ")(\\." + D + "+)? ?(" + unitAlternation()
            + ")(?![" + W + "/°])");
    private static final Pattern FEET_INCHES_RE = rx("(?<!" + lb(W + ".'") + ")(" + D + "{1,2})' ?(" + D + "{1,2})(?:\"|'')"); // 5'10"

    static String units(String text) {
        text = sub(FEET_INCHES_RE, text, m -> numberWords(m.group(1)) + " foot " + numberWords(m.group(2)));
        return sub(UNIT_RE, text, m -> {
            String whole = m.group(2), frac = m.group(3);
            String[] forms = UNITS.get(m.group(4).replace(" ", ""));
            String words = numberWords(whole + or(frac));
            return (truthy(m.group(1)) ? "minus " : "") + words + " "
                    + (whole.equals("1") && !truthy(frac) ? forms[0] : forms[1]);
        });
    }

    // --- Roman numerals -------------------------------------------------------------------------

    private static final Pattern VALID_ROMAN_RE = rx("M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})");
    // rulers and popes: "Henry VIII" -> "Henry the eighth"
    private static final Set<String> REGNAL_NAMES = words(
            "Henry Elizabeth Louis George Edward William Charles James John Paul Richard Pius Benedict Gregory Leo "
            + "Napoleon Philip Frederick Peter Catherine Mary Victoria Alexander Nicholas Ivan Ramesses Ramses Constantine "
            + "Innocent Clement Urban Boniface Alfonso Ferdinand Isabella Wilhelm Friedrich Carlos Felipe Juan Harald Olaf "
            + "Gustav Gustavus Christian Frederik Rama Mehmed Selim Suleiman Stephen Anne David Robert Malcolm Duncan "
            + "Kenneth Alfred Matilda Sixtus Julius Adrian Honorius Celestine Eugene Martin Nero Ptolemy Thutmose Amenhotep "
            + "Darius Xerxes Cyrus Antiochus Herod Baldwin Otto Conrad Rudolf Leopold Joseph Franz Sancho Pedro Manuel "
            + "Afonso Umberto Vittorio Emmanuel Haakon Magnus Eric Erik Valdemar Casimir Sigismund Władysław Vladimir "
            + "Vasily Dmitry Fyodor Mohammed Muhammad Abdullah Hussein Faisal");
    // words after which a Roman numeral is a cardinal: "Chapter IV" -> "Chapter four"
    private static final Set<String> NUMBERED = words(
            "Chapter Part Act Scene Volume Book Section Article Phase Stage Level Class Type Grade Category Episode "
            + "Round Appendix Title Unit Schedule Annex Division Tier Mark Mk Series Canto Psalm Bowl War Vatican "
            + "Game Season Movement Symphony Op Opus Plate Figure Table Rule Clause Amendment");
    private static final Pattern ROMAN_RE = rx(B + "([A-Z][a-z]+)( [A-Z][a-z]+)? ([IVXLCDM]{1,9})" + B + "(?!['’-][" + W + "])");
    private static final Set<String> ROMAN_WORDS = words("MIX DIM MID LID DID CIVIL MILD VIC LIV MIC DC CD MC CC CV MD DVD "
            + "LCD DL XL XXL XXX ML DI LI CI MI MM CM DX MCD");
    private static final Pattern WORLD_WARS_RE = rx(B + "WW(II|I)" + B);
    private static final Pattern PRONOUN_I_NEXT_RE = rx(" (?:am|was|have|had|will|would|could|should|can|do|did|think|know"
            + "|said|'m|'ll|'ve|'d)" + B);

    private static int romanDigit(char c) {
        switch (c) {
            case 'I': return 1;
            case 'V': return 5;
            case 'X': return 10;
            case 'L': return 50;
            case 'C': return 100;
            case 'D': return 500;
            default: return 1000;
        }
    }

    /** The value of a valid Roman numeral, or -1. */
    static int romanValue(String s) {
        if (s.isEmpty() || !VALID_ROMAN_RE.matcher(s).matches()) return -1;
        int total = 0;
        for (int i = 0; i < s.length(); i++) {
            int v = romanDigit(s.charAt(i));
            total += i + 1 < s.length() && romanDigit(s.charAt(i + 1)) > v ? -v : v;
        }
        return total;
    }

    static String romanNumerals(String text) {
        text = sub(WORLD_WARS_RE, text, m -> "World War " + (m.group(1).equals("II") ? "two" : "one"));
        final String t = text;
        return sub(ROMAN_RE, text, m -> {
            String word = m.group(1), second = or(m.group(2)), numeral = m.group(3);
            int value = romanValue(numeral);
            if (value < 0 || ROMAN_WORDS.contains(numeral)) return m.group();
            String secondWord = strip(second);
            String last = secondWord.isEmpty() ? word : secondWord;
            boolean pronoun = numeral.equals("I") && matchAt(PRONOUN_I_NEXT_RE, t, m.end()) != null;
            if (REGNAL_NAMES.contains(last) || (REGNAL_NAMES.contains(word) && REGNAL_NAMES.contains(secondWord))) {
                if (pronoun) return m.group(); // "Henry I am": the pronoun
                return word + second + " the " + ordinalWords(String.valueOf(value));
            }
            if (NUMBERED.contains(last)) {
                if (pronoun) return m.group();
                return word + second + " " + numberWords(String.valueOf(value));
            }
            if (numeral.length() >= 2 && numeral.chars().allMatch(c -> c == 'I' || c == 'V' || c == 'X')) {
                return word + second + " " + numberWords(String.valueOf(value)); // Rocky II, Final Fantasy VII
            }
            return m.group();
        });
    }

    // --- numbers --------------------------------------------------------------------------------

    private static final Pattern FRACTION_RE = rx("(?<![0-9/.])(" + D + "{1,6})/(" + D + "{1,6})(?![0-9/]|\\.[0-9])");
    private static final Pattern OUT_OF_RE = rx("(?<![0-9/.])(" + D + "+\\." + D + "+)/(" + D + "{1,6})(?![0-9/]|\\.[0-9])"); // 4.5/5
    // versions 2.0.1, 192.168.0.1 (possessive: see CODE_RE)
    private static final Pattern DOTTED_RE = rx("(?<![0-9.])" + D + "+(?:\\." + D + "+){2,}+(?![0-9]|\\.[0-9])");
    private static final Pattern HYPHEN_BY_DIGIT_RE = rx("(?<=[A-Za-z])-(?=[0-9])|(?<=[0-9])-(?=[A-Za-z])"); // COVID-19
    private static final Pattern PERCENT_RE = rx("(?<![0-9.,])(-?(?:" + NUM + ")(?:\\." + D + "+)?) ?%");
    private static final Pattern ORDINAL_RE = rx("(?<![0-9,.])" + B + "(" + NUM + ")(st|nd|rd|th)" + B);
    private static final Pattern DECADE_RE = rx(B + "(1[1-9]" + D + "0|20" + D + "0)'?s" + B);
    private static final Pattern SHORT_DECADE_RE = rx("(?:'|(?<!" + lb(W + "'.,") + "))([1-9]0)'?s" + B);
    private static final Pattern YEAR_RE = rx("(?<![0-9,.])" + B + "(1[0-9]" + D + D + "|20" + D + D + ")" + B + "(?![,.]?[0-9])");
    private static final Pattern NEGATIVE_RE = rx("(?<!" + lb(W + "-") + ")-(?=[0-9])");
    private static final Pattern NUMBER_RE = rx("(?<![0-9])(?:" + NUM + ")(?:\\." + D + "+)?|(?<![0-9])\\." + D + "+");
    private static final Pattern NEXT_WORD_RE = rx(" ([a-z]+)");
    private static final Pattern TOKEN_BEFORE_RE = rx("([^" + S + "]+) $");
    // before a 4-digit number, these make it a year; the second set make it a count
    private static final Set<String> YEAR_BEFORE = words("in since by from until till through before after during of circa "
            + "around year early late mid summer winter spring autumn fall christmas class the this");
    private static final Set<String> COUNT_BEFORE = words("page pages number numbers room flight route bus model version step "
            + "line item verse exit highway suite unit about approximately nearly almost than only just exactly roughly "
            + "some over under top score scored costs cost paid earns earned weighs contains");
    private static final Set<String> NOT_NOUNS = words("was is has as us this his its does thus plus less unless across whereas yes");
    private static final Set<String> UNCOUNTED_PLURALS = words("people men women children feet teeth mice geese sheep fish deer "
            + "cattle police staff personnel");

    private static String fraction(Matcher m) {
        if (m.group().equals("24/7")) return "twenty four seven";
        int n = Integer.parseInt(m.group(1)), d = Integer.parseInt(m.group(2));
        if (d == 0 || d > 10 || n > 20) return numberWords(m.group(1)) + " over " + numberWords(m.group(2));
        String one, many;
        if (d == 2) {
            one = "half";
            many = "halves";
        } else if (d == 4) {
            one = "quarter";
            many = "quarters";
        } else {
            one = ordinalWords(String.valueOf(d));
            many = one + "s";
        }
        return numberWords(m.group(1)) + " " + (n == 1 ? one : many);
    }

    /** A bare 4-digit number 1000-2099: a year ("in 1984", "1984.") or a count ("2048 bytes"). */
    private static String yearOrNumber(String text, Matcher m) {
        String before = lower(wordBefore(text, m.start()));
        if (COUNT_BEFORE.contains(before)) return numberWords(m.group(1));
        Matcher token = searchIn(TOKEN_BEFORE_RE, text, back(text, m.start(), 40), m.start());
        boolean attributive = false; // Apple's / Q3 / Microsoft 2024 results
        if (token != null) {
            String tok = token.group(1);
            attributive = Character.isUpperCase(tok.codePointAt(0)) || tok.endsWith("'s")
                    || tok.codePoints().anyMatch(Normalizer::isDigit);
        }
        if (!YEAR_BEFORE.contains(before) && !attributive) {
            Matcher nxt = matchAt(NEXT_WORD_RE, text, m.end());
            if (nxt != null) {
                String w = nxt.group(1);
                if (UNCOUNTED_PLURALS.contains(w)
                        || (w.length() > 2 && w.endsWith("s") && !w.endsWith("ss") && !NOT_NOUNS.contains(w))) {
                    return numberWords(m.group(1));
                }
            }
        }
        return yearWords(Long.parseLong(m.group(1)));
    }

    static String numbers(String text) {
        text = sub(DOTTED_RE, text, m -> {
            List<String> parts = new ArrayList<>();
            for (String p : m.group().split("\\.", -1)) parts.add(numberWords(p));
            return " " + String.join(" point ", parts) + " ";
        });
        text = sub(OUT_OF_RE, text, m -> " " + numberWords(m.group(1)) + " out of " + numberWords(m.group(2)) + " ");
        text = sub(FRACTION_RE, text, Normalizer::fraction); // 1/2, 3/4 (dates are already words)
        text = sub(HYPHEN_BY_DIGIT_RE, text, " ");
        text = sub(PERCENT_RE, text, m -> numberWords(m.group(1)) + " percent");
        text = sub(ORDINAL_RE, text, m -> ordinalWords(m.group(1)));
        text = sub(DECADE_RE, text, m -> pluralise(yearWords(Long.parseLong(m.group(1))))); // 1990s, 2000s
        text = sub(SHORT_DECADE_RE, text, m -> pluralise(numberWords(m.group(1)))); // 80s, '90s
        final String t = text;
        text = sub(YEAR_RE, text, m -> yearOrNumber(t, m));
        text = sub(NEGATIVE_RE, text, "minus ");
        return sub(NUMBER_RE, text, m -> " " + numberWords(m.group()) + " ");
    }

    // --- symbols and spacing --------------------------------------------------------------------

    private static final Map<String, String> SYMBOLS = new LinkedHashMap<>();

    static {
        String[] kv = {"&", "and", "+", "plus", "=", "equals", "@", "at", "%", "percent", "°", "degrees",
            "×", "times", "½", "one half", "¼", "one quarter", "¾", "three quarters"};
        for (int i = 0; i < kv.length; i += 2) SYMBOLS.put(kv[i], kv[i + 1]);
    }

    private static final Pattern SYMBOL_RE = rx("[&+=@%°×½¼¾]");
    private static final Pattern SLASH_RE = rx("(?<=" + lb(W) + ")/(?=[" + W + "])");
    private static final Pattern SPACE_BEFORE_PUNCT_RE = rx(" +([,.;:!?…)])");

    static String symbols(String text) {
        text = sub(SLASH_RE, text, " "); // and/or
        return sub(SYMBOL_RE, text, m -> " " + SYMBOLS.get(m.group()) + " ");
    }

    static String spacing(String text) {
        text = strip(sub(SPACES_RE, text, " "));
        return sub(SPACE_BEFORE_PUNCT_RE, text, m -> m.group(1));
    }

    // --- entry points ---------------------------------------------------------------------------

    /** Normalise one segment (a sentence or a piece of one, no blank lines; see {@link #segments}). */
    public static String normalizeSegment(String text) {
        text = whitespace(text);
        text = punctuation(text);
        text = web(text);
        text = phoneNumbers(text);
        text = dates(text);
        text = ranges(text);
        text = abbreviations(text);
        text = currency(text);
        text = times(text);
        text = units(text);
        text = romanNumerals(text);
        text = numbers(text);
        text = symbols(text);
        return spacing(text);
    }

    /**
     * Normalise English {@code text} into speakable words, keeping Kokoro's punctuation; paragraphs
     * are separated by a blank line.
     */
    public static String normalize(String text) {
        List<String> out = new ArrayList<>();
        for (String para : paragraphs(text)) {
            List<String> segs = new ArrayList<>();
            for (String seg : segments(para)) {
                String s = normalizeSegment(seg);
                if (!s.isEmpty()) segs.add(s);
            }
            String p = String.join(" ", segs);
            if (!p.isEmpty()) out.add(p);
        }
        return String.join("\n\n", out);
    }
}
