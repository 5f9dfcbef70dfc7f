package dev.segments.common.pagination;

import dev.segments.common.error.ProblemException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque keyset cursors. A cursor is the sort key of the last row of a page, base64url-encoded so clients
 * treat it as a token. Keyset (not offset) pagination gives no duplicates or gaps while data changes.
 */
public final class Cursors {

    private Cursors() {
    }

    public static String encode(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    public static String decode(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
    }

    /** A cursor over an ascending bigint id. */
    public static long decodeId(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return 0L;
        }
        try {
            return Long.parseLong(decode(cursor));
        } catch (NumberFormatException e) {
            throw invalid();
        }
    }

    public static String encodeId(long id) {
        return encode(Long.toString(id));
    }

    public static ProblemException invalid() {
        return ProblemException.validation("after", "invalid_cursor", "the cursor is not one this API returned");
    }
}
