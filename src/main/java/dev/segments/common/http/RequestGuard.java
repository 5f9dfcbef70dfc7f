package dev.segments.common.http;

import dev.segments.common.metrics.UnroutedRequests;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.json.InputChecks;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;

/**
 * The first handler of every request, so that what the HTTP layer refuses is a problem+json like everything else:
 * <ul>
 *   <li>a request URI that is not a valid URI (bad {@code %} escapes such as {@code %ZZ}, spaces, control
 *       characters) is a 400. Quarkus would answer it with an empty 400 before routing; {@code Main} (and the
 *       test JVM) set {@code vertx.disableURIValidation=true} so that the check happens here instead, with the
 *       same rule ({@link URI#URI(String)});</li>
 *   <li>a URI longer than {@code segments.limits.max-uri-length} is a 414, headers larger than
 *       {@code segments.limits.max-header-bytes} a 431. The HTTP codec's own limits
 *       ({@code quarkus.http.limits.max-initial-line-length}, {@code quarkus.http.limits.max-header-size}) are set
 *       above these, so the codec only refuses (with an empty body, before any application code runs) what is
 *       far beyond them;</li>
 *   <li>a failure the router itself raises with a 4xx status (unparsable query string, body over the limit of
 *       a body handler) is written as a problem of that status.</li>
 * </ul>
 */
@ApplicationScoped
public class RequestGuard {

    private static final Map<Integer, String> DETAILS = Map.of(
            400, "The request is malformed",
            404, "No such resource",
            405, "This resource does not support that method",
            413, "The body is too large",
            414, "The request URI is too long",
            415, "This resource does not accept that Content-Type",
            431, "The request headers are too large");

    private final ObjectMapper mapper;
    private final ServiceConfig.Limits limits;

    RequestGuard(ObjectMapper mapper, ServiceConfig config) {
        this.mapper = mapper;
        this.limits = config.limits();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::check).failureHandler(this::failure);
    }

    private void check(RoutingContext rc) {
        UnroutedRequests.watch(rc); // first for every request: no raw path becomes a meter tag
        HttpServerRequest request = rc.request();
        String uri = request.uri();
        if (uri.length() > limits.maxUriLength()) {
            write(rc, ProblemType.URI_TOO_LONG, "The request URI is longer than " + limits.maxUriLength() + " characters");
            return;
        }
        try {
            new URI(uri);
        } catch (URISyntaxException e) {
            write(rc, ProblemType.MALFORMED_REQUEST,
                    "The request URI is not valid: each reserved or non-ASCII character must be percent-encoded (%XX)");
            return;
        }
        String bad = undecodable(request.path(), false);
        if (bad != null) {
            writeProblem(rc, ProblemException.validation(List.of(new Problem.FieldError(null, bad,
                    "The request path " + (bad.equals("nul_character") ? "contains a NUL character (%00)"
                            : "is not UTF-8 once percent-decoded")))).problem());
            return;
        }
        String query = request.query();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String code = undecodable(pair, true);
                if (code != null) {
                    String decodedName = undecodable(name, true) == null ? decode(name) : "query";
                    writeProblem(rc, ProblemException.validation(decodedName, code, decodedName + " "
                            + InputChecks.message(code.equals("nul_character") ? code : "invalid_utf8")).problem());
                    return;
                }
            }
        }
        long headerBytes = 0;
        for (Map.Entry<String, String> h : request.headers()) {
            headerBytes += h.getKey().length() + h.getValue().length() + 4;
        }
        if (headerBytes > limits.maxHeaderBytes()) {
            write(rc, ProblemType.HEADERS_TOO_LARGE, "The request headers are larger than " + limits.maxHeaderBytes() + " bytes");
            return;
        }
        rc.next();
    }

    /**
     * Why percent-decoded text cannot be accepted: {@code nul_character} or {@code invalid_utf8} (Vert.x and
     * RESTEasy would decode bad UTF-8 to U+FFFD and pass a NUL on to the database), else null. Malformed escapes
     * were already refused as an invalid URI.
     */
    static String undecodable(String raw, boolean plusIsSpace) {
        if (raw == null || raw.indexOf('%') < 0) {
            return null;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return "invalid_utf8";
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else if (c == '%') {
                return "invalid_utf8";
            } else {
                bytes.write(plusIsSpace && c == '+' ? ' ' : c);
            }
        }
        String text;
        try {
            text = InputChecks.utf8(bytes.toByteArray());
        } catch (ProblemException e) {
            return "invalid_utf8";
        }
        return text.indexOf('\0') >= 0 ? "nul_character" : null;
    }

    private static String decode(String raw) {
        return java.net.URLDecoder.decode(raw, java.nio.charset.StandardCharsets.UTF_8);
    }

    private void writeProblem(RoutingContext rc, Problem p) {
        try {
            rc.response().setStatusCode(p.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(mapper.writeValueAsString(p));
        } catch (JsonProcessingException e) {
            rc.response().setStatusCode(p.status()).end();
        }
    }

    private void failure(RoutingContext rc) {
        int status = rc.statusCode();
        if (status >= 400 && status < 500 && !rc.response().headWritten()) {
            write(rc, ProblemType.forStatus(status), DETAILS.getOrDefault(status, ProblemType.forStatus(status).title()));
            return;
        }
        rc.next();
    }

    private void write(RoutingContext rc, ProblemType type, String detail) {
        Problem p = new Problem(type.uri(), type.title(), type.status(), detail, null);
        try {
            rc.response().setStatusCode(type.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(mapper.writeValueAsString(p));
        } catch (JsonProcessingException e) {
            rc.response().setStatusCode(type.status()).end();
        }
    }
}
