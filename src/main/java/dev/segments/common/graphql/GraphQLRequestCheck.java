package dev.segments.common.graphql;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Problems;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;

/**
 * Checks a GraphQL POST body before SmallRye GraphQL reads it, with the same JSON rules as REST bodies
 * ({@link dev.segments.common.json.JsonConfig}): valid UTF-8, no duplicate keys, nesting within
 * {@code segments.limits.max-json-depth}, no NUL or lone surrogate anywhere (pointer into the body, e.g.
 * {@code /variables/input/name}), an object whose {@code query} and {@code operationName} are strings and whose
 * {@code variables} and {@code extensions} are objects. A body that fails is a problem+json 400 or 422; the
 * GraphQL engine never sees it.
 */
@ApplicationScoped
public class GraphQLRequestCheck {

    private final ObjectMapper mapper;
    private final ServiceConfig config;
    private final String path;

    GraphQLRequestCheck(ObjectMapper mapper, ServiceConfig config,
                        @ConfigProperty(name = "quarkus.smallrye-graphql.root-path", defaultValue = "/graphql") String path) {
        this.mapper = mapper;
        this.config = config;
        this.path = path.startsWith("/") ? path : "/" + path;
    }

    void install(@Observes Router router) {
        // after authentication (MIN_VALUE + 100); the BodyHandler marks the body read, so the GraphQL route's own
        // body handler does not read it again
        router.post(path).order(Integer.MIN_VALUE + 200)
                .handler(BodyHandler.create(false).setBodyLimit(config.limits().maxJsonBytes()))
                .handler(this::check);
    }

    private void check(RoutingContext rc) {
        try {
            String contentType = rc.request().getHeader(HttpHeaders.CONTENT_TYPE);
            Buffer body = rc.body().buffer();
            if (body == null || body.length() == 0) {
                throw new ProblemException(ProblemType.MALFORMED_REQUEST,
                        "A GraphQL request needs a body: a JSON object with query, variables and operationName");
            }
            {
                dev.segments.common.json.InputChecks.utf8(body.getBytes());
                if (contentType == null || contentType.toLowerCase().contains("json")) {
                    JsonNode request = mapper.readTree(body.getBytes());
                    shape(request);
                    syntax(request.path("query").asText(null));
                } else if (contentType.toLowerCase().startsWith("application/graphql")) {
                    syntax(body.toString());
                }
            }
            rc.next();
        } catch (ProblemException p) {
            fail(rc, p.problem());
        } catch (JacksonException e) {
            fail(rc, Problems.fromJackson(e).problem());
        } catch (java.io.IOException e) {
            fail(rc, ProblemType.MALFORMED_REQUEST.problem("The body could not be read"));
        }
    }

    private void shape(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST,
                    "A GraphQL request is a JSON object with query, variables and operationName",
                    List.of(new Problem.FieldError("", "invalid_request", "must be an object")));
        }
        expect(body, "query", JsonNode::isTextual, "a string");
        expect(body, "operationName", JsonNode::isTextual, "a string");
        expect(body, "variables", JsonNode::isObject, "an object");
        expect(body, "extensions", JsonNode::isObject, "an object");
        if (!body.hasNonNull("query") && !body.path("extensions").has("persistedQuery")) {
            throw bad("/query", "required", "query is required");
        }
    }

    /**
     * The query parses (graphql-java's parser with its default limits, as the engine would): a syntax error is a 400
     * problem here; the engine would answer it as an execution error named after a Java exception.
     */
    private static void syntax(String query) {
        if (query == null) {
            return;
        }
        try {
            new graphql.parser.Parser().parseDocument(query);
        } catch (graphql.GraphQLException e) {
            String message = e.getMessage() == null || Problems.JAVA_NAMES.matcher(e.getMessage()).find()
                    ? "syntax error" : e.getMessage();
            throw bad("/query", "invalid_syntax", "The query is not valid GraphQL: " + message);
        }
    }

    private static void expect(JsonNode body, String member, java.util.function.Predicate<JsonNode> ok, String what) {
        JsonNode v = body.get(member);
        if (v != null && !v.isNull() && !ok.test(v)) {
            throw bad("/" + member, "invalid_value", member + " must be " + what);
        }
    }

    private static ProblemException bad(String pointer, String code, String message) {
        return new ProblemException(ProblemType.MALFORMED_REQUEST, message,
                List.of(new Problem.FieldError(pointer, code, message)));
    }

    private void fail(RoutingContext rc, Problem problem) {
        try {
            rc.response().setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(mapper.writeValueAsString(problem));
        } catch (JacksonException e) {
            rc.fail(e);
        }
    }
}
