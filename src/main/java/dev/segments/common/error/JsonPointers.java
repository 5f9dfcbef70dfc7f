package dev.segments.common.error;

import com.fasterxml.jackson.databind.JsonMappingException;

/** RFC 6901 helpers. */
public final class JsonPointers {

    private JsonPointers() {
    }

    public static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    public static String append(String pointer, String token) {
        return pointer + "/" + escape(token);
    }

    /** The pointer to where Jackson failed while reading a document. */
    public static String of(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            sb.append('/').append(ref.getFieldName() != null ? escape(ref.getFieldName())
                    : String.valueOf(ref.getIndex()));
        }
        return sb.toString();
    }

    public static String append(String pointer, int index) {
        return pointer + "/" + index;
    }
}
