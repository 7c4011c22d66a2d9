package dev.kokorolitert.desktop;

import dev.kokorolitert.core.Kokoro;
import dev.kokorolitert.core.Json;
import dev.kokorolitert.core.text.Normalizer;
import dev.kokorolitert.core.text.TextChunk;

import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Iterator;
import java.util.List;

/**
 * The Java front-end's view of a list of texts, for tests/test_android_text.py to compare with the
 * Python runtime's: {@code TextDump BUNDLE_DIR TEXTS.jsonl OUT.jsonl}. TEXTS.jsonl holds one JSON
 * string per line; OUT.jsonl gets one JSON object per text:
 * {"normalized", "chunks": [{"text", "phonemes", "ids", "pause", "dropped"}]} or {"error": class}.
 */
public final class TextDump {
    public static void main(String[] args) throws Exception {
        File lib = LiteRtJnaGraphs.findLibrary();
        List<String> texts = Files.readAllLines(new File(args[1]).toPath(), StandardCharsets.UTF_8);
        try (Kokoro kokoro = Kokoro.open(new File(args[0]), (d, m) -> new LiteRtJnaGraphs(lib, d, m), false);
             PrintStream out = new PrintStream(new File(args[2]), "UTF-8")) {
            for (String line : texts) {
                String text = (String) Json.parse(line);
                StringBuilder sb = new StringBuilder("{\"normalized\": ").append(Speak.quote(Normalizer.normalize(text)));
                try {
                    StringBuilder chunks = new StringBuilder();
                    for (Iterator<TextChunk> it = kokoro.chunks(text); it.hasNext(); ) {
                        TextChunk c = it.next();
                        chunks.append(chunks.length() == 0 ? "" : ", ")
                                .append("{\"text\": ").append(Speak.quote(c.text))
                                .append(", \"phonemes\": ").append(Speak.quote(c.phonemes))
                                .append(", \"ids\": ").append(java.util.Arrays.toString(c.ids))
                                .append(", \"pause\": ").append(c.pauseS)
                                .append(", \"dropped\": [");
                        for (int j = 0; j < c.dropped.size(); j++)
                            chunks.append(j == 0 ? "" : ", ").append(Speak.quote(c.dropped.get(j)));
                        chunks.append("]}");
                    }
                    sb.append(", \"chunks\": [").append(chunks).append("]");
                } catch (IllegalArgumentException e) {
                    sb.append(", \"error\": ").append(Speak.quote(e.getClass().getSimpleName()));
                }
                out.println(sb.append("}"));
            }
        }
    }
}
