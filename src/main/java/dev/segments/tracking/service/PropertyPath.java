package dev.segments.tracking.service;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A path into a message's traits or properties as the mapping writes it: member names separated by dots, a
 * number selecting an array element ({@code products.0.name}, {@code address.city}). Member names cannot contain
 * a dot; a path has at most {@link #MAX_SEGMENTS} segments and {@link #MAX_LENGTH} characters.
 */
public record PropertyPath(String text, List<String> segments) {

    static final int MAX_SEGMENTS = 8;
    static final int MAX_LENGTH = 200;

    /** The path, or null when the text is not one (why: {@link #problem}). */
    public static PropertyPath parse(String text) {
        return problem(text) == null ? new PropertyPath(text, List.of(text.split("\\.", -1))) : null;
    }

    /** Why the text is not a path, or null when it is one. */
    public static String problem(String text) {
        if (text == null || text.isEmpty()) {
            return "a path must not be empty";
        }
        if (text.length() > MAX_LENGTH) {
            return "a path has at most " + MAX_LENGTH + " characters";
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length > MAX_SEGMENTS) {
            return "a path has at most " + MAX_SEGMENTS + " segments";
        }
        for (String part : parts) {
            if (part.isBlank()) {
                return "'" + text + "' has an empty segment (paths are member names separated by single dots)";
            }
            for (int i = 0; i < part.length(); i++) {
                if (Character.isISOControl(part.charAt(i))) {
                    return "a path must not contain control characters";
                }
            }
        }
        return null;
    }

    /** The first segment: the top-level trait or property the path reads. */
    public String head() {
        return segments.get(0);
    }

    /** The value at this path, or null when absent (JSON null is returned as a null node: "present, null"). */
    public JsonNode at(JsonNode root) {
        JsonNode node = root;
        for (String segment : segments) {
            if (node == null) {
                return null;
            }
            if (node.isArray() && isIndex(segment)) {
                node = node.get(Integer.parseInt(segment));
            } else if (node.isObject()) {
                node = node.get(segment);
            } else {
                return null;
            }
        }
        return node;
    }

    /** The JSON Pointer (below the traits or properties object) of the value this path reads. */
    public String pointer() {
        StringBuilder sb = new StringBuilder();
        for (String s : segments) {
            sb.append('/').append(dev.segments.common.error.JsonPointers.escape(s));
        }
        return sb.toString();
    }

    private static boolean isIndex(String s) {
        if (s.isEmpty() || s.length() > 6) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
