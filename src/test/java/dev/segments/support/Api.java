package dev.segments.support;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

import java.util.Map;
import java.util.UUID;

/** Test helpers: each test makes its own tenant, so tests never depend on each other. */
public final class Api {

    public static final String ADMIN_KEY = "test-admin-key";

    private Api() {
    }

    /** A tenant's id and its first API key. */
    public record Tenant(long id, String key) {
    }

    /** A new tenant; returns its API key. */
    public static String newTenant() {
        return tenant().key();
    }

    /** A new tenant; returns its id and API key. */
    public static Tenant tenant() {
        io.restassured.path.json.JsonPath created = RestAssured.given().auth().oauth2(ADMIN_KEY)
                .contentType(ContentType.JSON)
                .body(Map.of("name", "t-" + UUID.randomUUID()))
                .post("/admin/tenants")
                .then().statusCode(201)
                .extract().jsonPath();
        return new Tenant(created.getLong("tenant.id"), created.getString("apiKey.key"));
    }

    /** A request authenticated as the tenant with this key, sending JSON. */
    public static RequestSpecification as(String key) {
        return RestAssured.given().auth().oauth2(key).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    /** Creates a customer with that external id and extra fields; returns its id. */
    public static long customer(String key, String externalId, Map<String, ?> fields) {
        var body = new java.util.HashMap<String, Object>(fields);
        body.put("externalId", externalId);
        return as(key).body(body).post("/customers").then().statusCode(201).extract().jsonPath().getLong("id");
    }
}
