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
}
