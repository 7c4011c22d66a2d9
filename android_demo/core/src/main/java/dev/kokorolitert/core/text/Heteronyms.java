package dev.kokorolitert.core.text;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A light part-of-speech guess for English heteronyms from the words around them (runtime/heteronyms.py):
 * the lexicon key ({@code VERB}, {@code NOUN}, {@code ADJ}, {@code VBD}), {@link #LEAD_METAL_KEY}, or null
 * for the entry's DEFAULT. The rules and word lists are the Python module's; see its docstring.
 */
public final class Heteronyms {
    /** "lead" the metal, which misaki's lexicon lacks. */
    public static final String LEAD_METAL = "lˈɛd";
    public static final String LEAD_METAL_KEY = "METAL";

    public static final Set<String> HETERONYMS = set(
            "read live lives lead wind winds tear tears close closes use uses record records present presents object "
            + "objects minute wound bass bow bows desert deserts");

    private static final Set<String> DETERMINERS = set(
            "a an the this that these those my your his her its our their no every each some any another one first "
            + "last next whose which what many few several all both such whole");
    private static final Set<String> SUBJECTS = set("i you we they he she it who that people men women children");
    private static final Set<String> THIRD_PERSON = set("he she it");
    private static final Set<String> MODALS = set(
            "will would can could shall should may might must do does did don't doesn't didn't won't "
            + "can't cannot couldn't wouldn't shouldn't 'll 'd let's let please not never always often "
            + "usually also just");
    private static final Set<String> PERFECT = set("have has had having 've 'd was were been be being is are already");
    private static final Set<String> OBJECTS = set(
            "the a an this that these those my your his her its our their it them him me us some all every each any");
    private static final Set<String> PAST_CUES = set("yesterday ago last earlier previously");
    private static final Set<String> CONTRACTIONS = set(
            "let's it's he's she's that's what's there's here's who's where's how's");

    private static final Map<String, Set<String>> VERB_PARTICLES = new HashMap<>();

    static {
        VERB_PARTICLES.put("live", set("in on at with near here there together alone off for by long happily abroad "
                + "nearby like without under inside outside"));
        VERB_PARTICLES.put("lives", set("in on at with near here there together alone off for by abroad nearby next"));
        VERB_PARTICLES.put("wind", set("up down around round back through along the it your his her my them"));
        VERB_PARTICLES.put("winds", set("up down around round back through along"));
        VERB_PARTICLES.put("tear", set("up apart down off open into through out away"));
        VERB_PARTICLES.put("tears", set("up apart down off open into through out away"));
        VERB_PARTICLES.put("bow", set("down to before deeply low out your his her their our my"));
        VERB_PARTICLES.put("bows", set("down to before deeply low out"));
        VERB_PARTICLES.put("object", set("to that"));
        VERB_PARTICLES.put("objects", set("to that"));
        VERB_PARTICLES.put("close", set("the your my his her their our it them this that down up off at"));
        VERB_PARTICLES.put("closes", set(""));
        VERB_PARTICLES.put("present", set("the a an it them their his her our my your this these with evidence"));
        VERB_PARTICLES.put("record", set("the a an it them their his her our my your this every everything"));
    }

    private static final Set<String> METAL_NEXT = set(
            "poisoning paint pipe pipes pencil pencils acid shot weight weights bullet bullets levels "
            + "exposure contamination free based crystal oxide sheet sheets batteries battery");
    private static final Set<String> FISH = set(
            "fish fishing caught catch catching sea largemouth smallmouth striped lake pond lure boat fillet fillets grilled");
    private static final Set<String> MINUTE_ADJ_NEXT = set(
            "detail details amount amounts trace traces quantity quantities particle particles "
            + "difference differences change changes fraction crack cracks fragments");

    private static final Set<String> READ_AFTER_PERFECT = set("not never already just widely once you we they i he she it");
    private static final Set<String> WOUND_NEXT = set("up down around round through the his her their its tightly");
    private static final Set<String> WOUND_PREV = set("had has have tightly was were");
    private static final Set<String> USE_NOUN_PREV = set("of in for into no make makes made making");
    private static final Set<String> CLOSE_NOT_VERB_PREV = set("is are was were so very too and");
    private static final Set<String> TAKE = set("take takes took taking");
    private static final Set<String> METAL_PREV2 = set("made full lined heavy");
    private static final Set<String> MINUTE_ADJ_PREV = set("very so too extremely most");
    private static final Set<String> BE = set("is are was were");
    private static final Set<String> CLOSE_VERB_NEXT = set("down up off");
    private static final Set<String> IMPERATIVE = set("object objects present presents record records");

    private Heteronyms() {
    }

    /**
     * The lexicon key for {@code word} (lower case) given the words {@code before} it (nearest last) and
     * {@code after} it (nearest first) within its phrase, and the {@code rest} of its sentence after it.
     */
    public static String tag(String word, List<String> before, List<String> after, List<String> rest) {
        if (!HETERONYMS.contains(word)) return null;
        String prev = before.isEmpty() ? null : before.get(before.size() - 1);
        String prev2 = before.size() > 1 ? before.get(before.size() - 2) : null;
        String nxt = after.isEmpty() ? null : after.get(0);
        boolean detBefore = DETERMINERS.contains(prev)
                || (prev != null && prev.endsWith("'s") && !CONTRACTIONS.contains(prev));
        boolean verbBefore = SUBJECTS.contains(prev) || "to".equals(prev) || MODALS.contains(prev);

        switch (word) {
            case "read":
                return read(prev, prev2, rest);
            case "wound":
                return WOUND_NEXT.contains(nxt) || (SUBJECTS.contains(prev) && !"who".equals(prev) && !"that".equals(prev))
                        || WOUND_PREV.contains(prev) ? "VBD" : null;
            case "lead":
                return METAL_NEXT.contains(nxt)
                        || (("of".equals(prev) || "with".equals(prev)) && METAL_PREV2.contains(prev2))
                        || ("as".equals(prev) && "heavy".equals(prev2)) ? LEAD_METAL_KEY : null;
            case "bass":
                for (String w : before) if (FISH.contains(w)) return null; // the fish
                for (String w : after) if (FISH.contains(w)) return null;
                return "ADJ"; // the music (misaki's ADJ reading, bˈAs)
            case "minute":
                return MINUTE_ADJ_NEXT.contains(nxt) || MINUTE_ADJ_PREV.contains(prev)
                        || (BE.contains(prev) && nxt == null) ? "ADJ" : null;
            case "use":
            case "uses":
                return detBefore || USE_NOUN_PREV.contains(prev) || ("of".equals(nxt) && !SUBJECTS.contains(prev)
                        && !"to".equals(prev) && !MODALS.contains(prev)) ? "NOUN" : null;
            case "close":
                return close(prev, nxt, detBefore, verbBefore);
            default:
                return other(word, prev, prev2, nxt, detBefore, verbBefore);
        }
    }

    private static String read(String prev, String prev2, List<String> rest) {
        if (prev != null && (prev.endsWith("'s") || prev.endsWith("'ve") || prev.endsWith("'d"))) {
            return "VBD"; // he's read, I've read, she'd read
        }
        if (PERFECT.contains(prev) || THIRD_PERSON.contains(prev)
                || (PERFECT.contains(prev2) && READ_AFTER_PERFECT.contains(prev))) {
            return "VBD";
        }
        boolean pastCue = false;
        for (String w : rest) pastCue |= PAST_CUES.contains(w);
        if (pastCue && !MODALS.contains(prev) && !"to".equals(prev)) return "VBD";
        return null;
    }

    private static String close(String prev, String nxt, boolean detBefore, boolean verbBefore) {
        Set<String> particles = VERB_PARTICLES.get("close");
        if (detBefore) return nxt == null || "of".equals(nxt) ? "NOUN" : null; // "the close of day" / "a close call"
        if (verbBefore || (prev == null && particles.contains(nxt)) || CLOSE_VERB_NEXT.contains(nxt)) return "VERB";
        if (particles.contains(nxt) && !CLOSE_NOT_VERB_PREV.contains(prev)) return "VERB";
        return null;
    }

    private static String other(String word, String prev, String prev2, String nxt, boolean detBefore, boolean verbBefore) {
        if (word.equals("bow") && "a".equals(prev) && TAKE.contains(prev2)) return "VERB"; // take a bow: bˈW
        if ((word.equals("bow") || word.equals("bows")) && "of".equals(nxt)) return "VERB"; // the bow of the ship
        if (detBefore) return null; // the noun (DEFAULT: record, present, object, desert, wind, tear, live, ...)
        if (word.equals("lives") || word.equals("closes")) {
            // lives: verb after a subject or before a particle; noun otherwise (their lives, save lives)
            return SUBJECTS.contains(prev) || THIRD_PERSON.contains(prev) || VERB_PARTICLES.get(word).contains(nxt)
                    ? "VERB" : null;
        }
        if (verbBefore) return "VERB";
        Set<String> particles = VERB_PARTICLES.get(word);
        if (particles != null && particles.contains(nxt)) return "VERB";
        if ((word.equals("desert") || word.equals("deserts")) && OBJECTS.contains(nxt)) return "VERB";
        if (IMPERATIVE.contains(word) && OBJECTS.contains(nxt) && prev == null) {
            return "VERB"; // imperative at the start: "Record the show."
        }
        return null;
    }

    /** A set of the space-separated words (a HashSet: contains(null) is false, as Python's {@code None in s}). */
    private static Set<String> set(String words) {
        Set<String> s = new HashSet<>();
        if (!words.isEmpty()) s.addAll(Arrays.asList(words.split(" ")));
        return Collections.unmodifiableSet(s);
    }
}
