package dev.kokorolitert.core.text;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * misaki's US gold and silver lexicons, read from the bundle's lexicon file (converter/lexicon.py
 * documents the format: gzip'd sorted TSV, {@code word<TAB>g|s<TAB>phonemes} or POS=phonemes fields).
 *
 * <p>The decompressed bytes are kept as they are and binary-searched (the words are ASCII and the
 * lines sorted), so loading is one gunzip and one scan for line starts, with no per-entry objects.
 * Entries are decoded on lookup. The caller verifies the file's sha256; this class does not.
 */
public final class Lexicon {
    /** The header line converter/lexicon.py writes; the number is the format version. */
    public static final String HEADER = "#kokoro-lexicon\t1";

    /** One entry: a phoneme string, or phonemes by part of speech (values may be null). */
    public static final class Entry {
        private final String phonemes;
        private final Map<String, String> byTag;

        Entry(String phonemes, Map<String, String> byTag) {
            this.phonemes = phonemes;
            this.byTag = byTag;
        }

        /** Whether the entry is keyed by part of speech (a Python dict in misaki's JSON). */
        public boolean isTagged() {
            return byTag != null;
        }

        /** The phonemes of an untagged entry (null for a tagged one). */
        public String phonemes() {
            return phonemes;
        }

        /** POS key -> phonemes (null values kept) of a tagged entry, sorted by key; null when untagged. */
        public Map<String, String> byTag() {
            return byTag;
        }
    }

    private final byte[] data;
    private final int[] gold;   // start offsets of the gold lines, in word order
    private final int[] silver; // same for silver

    private Lexicon(byte[] data, int[] gold, int[] silver) {
        this.data = data;
        this.gold = gold;
        this.silver = silver;
    }

    public static Lexicon read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in);
        }
    }

    /** Reads a gzip'd lexicon stream (not closed here). */
    public static Lexicon read(InputStream gzipped) throws IOException {
        byte[] data = gunzip(gzipped);
        byte[] header = (HEADER + "\n").getBytes(StandardCharsets.UTF_8);
        if (!startsWith(data, header)) {
            throw new IOException("not a lexicon file of format " + HEADER.substring(HEADER.indexOf('\t') + 1));
        }
        int lines = 0;
        for (int i = header.length; i < data.length; i++) if (data[i] == '\n') lines++;
        int[] gold = new int[lines];
        int[] silver = new int[lines];
        int ng = 0, ns = 0;
        for (int start = header.length; start < data.length; ) {
            int tab = indexOf(data, (byte) '\t', start);
            int end = indexOf(data, (byte) '\n', start);
            if (tab < 0 || end < 0 || tab + 2 >= end || data[tab + 2] != '\t') throw new IOException("bad lexicon line at byte " + start);
            byte lex = data[tab + 1];
            if (lex == 'g') gold[ng++] = start;
            else if (lex == 's') silver[ns++] = start;
            else throw new IOException("bad lexicon name at byte " + start);
            start = end + 1;
        }
        return new Lexicon(data, java.util.Arrays.copyOf(gold, ng), java.util.Arrays.copyOf(silver, ns));
    }

    public int goldSize() {
        return gold.length;
    }

    public int silverSize() {
        return silver.length;
    }

    public boolean inGold(String word) {
        return find(gold, word) >= 0;
    }

    public boolean inSilver(String word) {
        return find(silver, word) >= 0;
    }

    /** The gold entry of {@code word}, or null. */
    public Entry gold(String word) {
        return entry(gold, word);
    }

    /** The silver entry of {@code word}, or null. */
    public Entry silver(String word) {
        return entry(silver, word);
    }

    private Entry entry(int[] lines, String word) {
        int i = find(lines, word);
        if (i < 0) return null;
        int valueStart = lines[i] + word.length() + 3; // word, tab, g|s, tab
        int end = indexOf(data, (byte) '\n', valueStart);
        String value = new String(data, valueStart, end - valueStart, StandardCharsets.UTF_8);
        if (value.indexOf('=') < 0) return new Entry(value, null);
        Map<String, String> byTag = new LinkedHashMap<>();
        for (String field : value.split("\t")) {
            int eq = field.indexOf('=');
            if (eq < 0) byTag.put(field, null);
            else byTag.put(field.substring(0, eq), field.substring(eq + 1));
        }
        return new Entry(null, Collections.unmodifiableMap(byTag));
    }

    /** Index in {@code lines} of the line for {@code word}, or -1. */
    private int find(int[] lines, String word) {
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c >= 0x80 || c == '\t' || c == '\n') return -1; // lexicon words are ASCII
        }
        int lo = 0, hi = lines.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int cmp = compare(lines[mid], word);
            if (cmp < 0) lo = mid + 1;
            else if (cmp > 0) hi = mid - 1;
            else return mid;
        }
        return -1;
    }

    /** The line's word (up to its tab) compared with {@code word}, in byte order. */
    private int compare(int start, String word) {
        int n = word.length();
        for (int i = 0; ; i++) {
            int b = data[start + i] & 0xff;
            boolean lineEnded = b == '\t';
            if (i == n) return lineEnded ? 0 : 1;
            if (lineEnded) return -1;
            int c = word.charAt(i);
            if (b != c) return b - c;
        }
    }

    private static boolean startsWith(byte[] data, byte[] prefix) {
        if (data.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (data[i] != prefix[i]) return false;
        return true;
    }

    private static int indexOf(byte[] a, byte b, int from) {
        for (int i = from; i < a.length; i++) if (a[i] == b) return i;
        return -1;
    }

    /** The whole decompressed file, in one array sized from the gzip trailer (no growing copies). */
    private static byte[] gunzip(InputStream in) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream(1 << 22);
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) != -1; ) compressed.write(buf, 0, n);
        byte[] gz = compressed.toByteArray();
        if (gz.length < 18) throw new IOException("not a gzip file");
        int size = (gz[gz.length - 4] & 0xff) | (gz[gz.length - 3] & 0xff) << 8
                | (gz[gz.length - 2] & 0xff) << 16 | (gz[gz.length - 1] & 0xff) << 24; // ISIZE: length mod 2^32
        if (size < 0) throw new IOException("lexicon too large");
        byte[] data = new byte[size];
        try (GZIPInputStream unz = new GZIPInputStream(new ByteArrayInputStream(gz), 1 << 16)) {
            int off = 0;
            for (int n; off < size && (n = unz.read(data, off, size - off)) != -1; ) off += n;
            if (off != size || unz.read() != -1) throw new IOException("gzip size mismatch (one gzip member expected)");
        }
        return data;
    }
}
