package dev.segments.common.error;

/** The stable problem types this API returns; the {@code type} member of every problem body. */
public enum ProblemType {
    MALFORMED_REQUEST(400, "/problems/malformed-request", "Malformed request"),
    UNAUTHORIZED(401, "/problems/unauthorized", "Missing or invalid API key"),
    FORBIDDEN(403, "/problems/forbidden", "Not allowed"),
    NOT_FOUND(404, "/problems/not-found", "Resource not found"),
    METHOD_NOT_ALLOWED(405, "/problems/method-not-allowed", "Method not allowed"),
    NOT_ACCEPTABLE(406, "/problems/not-acceptable", "Not acceptable"),
    CONFLICT(409, "/problems/conflict", "Conflict"),
    LENGTH_REQUIRED(411, "/problems/length-required", "Length required"),
    PRECONDITION_FAILED(412, "/problems/precondition-failed", "Precondition failed"),
    PAYLOAD_TOO_LARGE(413, "/problems/payload-too-large", "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "/problems/unsupported-media-type", "Unsupported media type"),
    VALIDATION(422, "/problems/validation", "Validation failed"),
    INVALID_RULE(422, "/problems/invalid-rule", "Invalid segment rule"),
    QUERY_TOO_COMPLEX(400, "/problems/query-too-complex", "GraphQL operation too large or too costly"),
    PRECONDITION_REQUIRED(428, "/problems/precondition-required", "Precondition required"),
    TOO_MANY_REQUESTS(429, "/problems/too-many-requests", "Too many requests"),
    URI_TOO_LONG(414, "/problems/uri-too-long", "URI too long"),
    HEADERS_TOO_LARGE(431, "/problems/headers-too-large", "Request headers too large"),
    QUERY_TIMEOUT(503, "/problems/query-timeout", "Query took too long"),
    UNAVAILABLE(503, "/problems/unavailable", "Service unavailable"),
    INTERNAL(500, "/problems/internal", "Internal error");

    private final int status;
    private final String uri;
    private final String title;

    ProblemType(int status, String uri, String title) {
        this.status = status;
        this.uri = uri;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String uri() {
        return uri;
    }

    public String title() {
        return title;
    }

    public Problem problem(String detail) {
        return new Problem(uri, title, status, detail, null);
    }

    /** The type for a bare HTTP status (used where the framework, not our code, decided the status). */
    public static ProblemType forStatus(int status) {
        for (ProblemType t : values()) {
            if (t.status == status && t != INVALID_RULE && t != QUERY_TIMEOUT) {
                return t;
            }
        }
        return status >= 500 ? INTERNAL : MALFORMED_REQUEST;
    }
}
