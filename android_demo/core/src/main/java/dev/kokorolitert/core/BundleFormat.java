package dev.kokorolitert.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bundle format's one definition, runtime/bundle_format.json (on the classpath as
 * {@code /bundle_format.json}: Gradle and the desktop launcher copy it there), applied to a manifest
 * exactly as runtime/manifest.py {@code validate} applies it: every key present with its type, no
 * unknown key.
 */
public final class BundleFormat {
    public static final String RESOURCE = "/bundle_format.json";
    private static Map<String, Object> format;

    private BundleFormat() {
    }

    private static synchronized Map<String, Object> format() {
        if (format == null) {
            try (InputStream in = BundleFormat.class.getResourceAsStream(RESOURCE)) {
                if (in == null) throw new IllegalStateException(RESOURCE + " is not on the classpath (copy runtime/bundle_format.json)");
                format = Json.obj(Json.parse(new String(Manifest.readAll(in), StandardCharsets.UTF_8)), "bundle format");
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + RESOURCE + ": " + e);
            }
        }
        return format;
    }

    /** The format version runtime/bundle_format.json defines (the manifest's "format"). */
    public static int version() {
        return Json.integer(format().get("version"), "bundle format version");
    }

    /** IllegalArgumentException naming the first key of {@code manifest} that does not follow the format. */
    public static void validate(Map<String, Object> manifest) {
        Map<String, Object> f = format();
        check(manifest, f.get("manifest"), "manifest", Json.obj(f.get("definitions"), "definitions"));
    }

    private static void check(Object value, Object spec, String where, Map<String, Object> defs) {
        if (spec instanceof String && ((String) spec).startsWith("$")) spec = defs.get(((String) spec).substring(1));
        if (spec instanceof String) {
            if (!is((String) spec, value)) throw bad(where + " must be of type " + spec);
        } else if (spec instanceof List) {
            if (!(value instanceof List) || ((List<?>) value).isEmpty()) throw bad(where + " must be a non-empty list");
            List<?> list = (List<?>) value;
            for (int i = 0; i < list.size(); i++) check(list.get(i), ((List<?>) spec).get(0), where + "[" + i + "]", defs);
        } else {
            if (!(value instanceof Map)) throw bad(where + " must be an object");
            @SuppressWarnings("unchecked") Map<String, Object> obj = (Map<String, Object>) value;
            @SuppressWarnings("unchecked") Map<String, Object> fields = (Map<String, Object>) spec;
            Map<String, String> keys = new LinkedHashMap<>();
            for (String k : fields.keySet()) keys.put(k.endsWith("?") ? k.substring(0, k.length() - 1) : k, k);
            for (Map.Entry<String, Object> e : obj.entrySet()) {
                String raw = keys.containsKey(e.getKey()) ? keys.get(e.getKey()) : keys.get("*");
                if (raw == null) throw bad(where + "." + e.getKey() + " is not a key of bundle format " + Manifest.FORMAT_VERSION);
                check(e.getValue(), fields.get(raw), where + "." + e.getKey(), defs);
            }
            for (Map.Entry<String, String> k : keys.entrySet())
                if (!k.getKey().equals("*") && !k.getValue().endsWith("?") && !obj.containsKey(k.getKey()))
                    throw bad(where + "." + k.getKey() + " is missing");
        }
    }

    private static boolean is(String type, Object v) {
        switch (type) {
            case "int": return v instanceof Long;
            case "number": return v instanceof Long || v instanceof Double;
            case "str": return v instanceof String;
            case "object": return v instanceof Map;
            case "any": return true;
            default: throw new IllegalStateException("bundle format: unknown type " + type);
        }
    }

    private static IllegalArgumentException bad(String msg) {
        return new IllegalArgumentException("manifest: " + msg);
    }
}
