package dev.segments.common.http;

import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;

/** Strong ETags over a row version ({@code "7"}), and the If-Match header that carries one back. */
public final class ETags {

    private ETags() {
    }

    /** The opaque value of the tag (JAX-RS adds the quotes): {@code Response.ok().tag(ETags.value(v))}. */
    public static String value(long version) {
        return Long.toString(version);
    }

    /** The version an If-Match header asks for; null when absent or {@code *} (no condition). */
    public static Long expectedVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank() || ifMatch.trim().equals("*")) {
            return null;
        }
        String tag = ifMatch.trim();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
            tag = tag.substring(1, tag.length() - 1);
        }
        try {
            return Long.parseLong(tag);
        } catch (NumberFormatException e) {
            throw new ProblemException(ProblemType.PRECONDITION_FAILED,
                    "If-Match must be an ETag this API returned, like \"3\"");
        }
    }
}
