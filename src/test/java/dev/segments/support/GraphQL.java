package dev.segments.support;

import io.restassured.response.ValidatableResponse;

import java.util.HashMap;
import java.util.Map;

import static dev.segments.support.Api.as;

/** Test helper: GraphQL over HTTP (POST /graphql) with REST Assured, as the tenant with this key. */
public final class GraphQL {

    private GraphQL() {
    }

    public static ValidatableResponse query(String key, String query) {
        return query(key, query, Map.of());
    }

    public static ValidatableResponse query(String key, String query, Map<String, ?> variables) {
        Map<String, Object> body = new HashMap<>();
        body.put("query", query);
        body.put("variables", variables);
        return as(key).body(body).post("/graphql").then();
    }

    /**
     * The fragment bomb of issue 12: F1 selects {@code a: segments { key }}, each Fi that and F(i-1) twice, so the
     * operation expands to 2^levels fields.
     */
    public static String fragmentBomb(int levels) {
        StringBuilder q = new StringBuilder("query { ...F").append(levels).append(" }\n");
        q.append("fragment F1 on Query { a: segments { key } }\n");
        for (int i = 2; i <= levels; i++) {
            q.append("fragment F").append(i).append(" on Query { a: segments { key } ...F").append(i - 1)
                    .append(" ...F").append(i - 1).append(" }\n");
        }
        return q.toString();
    }
}
