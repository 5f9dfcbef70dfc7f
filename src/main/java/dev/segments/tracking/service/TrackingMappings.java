package dev.segments.tracking.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.tracking.TrackingDtos.PurchaseMapping;
import dev.segments.tracking.TrackingDtos.TrackingMapping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The default tracking mapping and the validation of a tenant's own, which works like a rule's: every problem of
 * the document is collected, each with a JSON Pointer, and reported in one 422.
 */
public final class TrackingMappings {

    /** Customer fields a trait may fill (the profile fields of CustomerInput except externalId and contacts). */
    public static final Set<String> CUSTOMER_FIELDS = Set.of("name", "email", "phone", "phones", "gender", "birthDate",
            "country", "region", "city", "priceTier", "paymentTerms", "lifecycleStage", "source", "channel", "tags");

    /** The prefix of a trait target that is a declared customer attribute. */
    public static final String ATTRIBUTES = "attributes.";

    /** Purchase fields a property may fill; amount is required. */
    static final List<String> PURCHASE_FIELDS = List.of("amount", "currency", "externalId", "product", "category",
            "quantity", "channel");

    /** The Segment Spec's own trait and e-commerce names (docs/tracking.md). */
    public static final TrackingMapping DEFAULT = new TrackingMapping(defaultTraits(), Map.of("Order Completed",
            new PurchaseMapping(List.of("revenue", "total"), List.of("currency"), List.of("order_id"),
                    List.of("products.0.name", "product"), List.of("products.0.category", "category"), null, null)));

    private static final int MAX_EVENT_NAME = 200;
    private static final int MAX_ENTRIES = 200;

    private TrackingMappings() {
    }

    private static Map<String, String> defaultTraits() {
        Map<String, String> traits = new LinkedHashMap<>();
        traits.put("name", "name");
        traits.put("email", "email");
        traits.put("phone", "phone");
        traits.put("gender", "gender");
        traits.put("birthday", "birthDate");
        traits.put("address.country", "country");
        traits.put("address.state", "region");
        traits.put("address.city", "city");
        return traits;
    }

    /**
     * Reads and validates a mapping document against the tenant's customer attributes: unknown members, unknown
     * target fields, undeclared attributes, bad paths, purchases without an amount. Fails with one 422 listing
     * every problem; returns the mapping with each path list normalised (a single string becomes a list).
     */
    public static TrackingMapping validate(JsonNode doc, AttributeCatalog customerAttributes) {
        List<FieldError> errors = new ArrayList<>();
        if (doc == null || !doc.isObject()) {
            throw ProblemException.validation("", "invalid_type", "the mapping must be a JSON object");
        }
        for (var e : doc.properties()) {
            if (!e.getKey().equals("traits") && !e.getKey().equals("purchases")) {
                errors.add(new FieldError(JsonPointers.append("", e.getKey()), "unknown_member",
                        "a mapping has the members traits and purchases"));
            }
        }
        Map<String, String> traits = new LinkedHashMap<>();
        JsonNode traitsNode = doc.get("traits");
        if (traitsNode != null && !traitsNode.isNull()) {
            if (!traitsNode.isObject()) {
                errors.add(new FieldError("/traits", "invalid_type", "traits must be an object of trait path -> target"));
            } else {
                if (traitsNode.size() > MAX_ENTRIES) {
                    errors.add(new FieldError("/traits", "too_many_items", "at most " + MAX_ENTRIES + " traits"));
                }
                for (var e : traitsNode.properties()) {
                    String at = JsonPointers.append("/traits", e.getKey());
                    String pathProblem = PropertyPath.problem(e.getKey());
                    if (pathProblem != null) {
                        errors.add(new FieldError(at, "invalid_path", "the trait path is not valid: " + pathProblem));
                    }
                    if (!e.getValue().isTextual()) {
                        errors.add(new FieldError(at, "invalid_type",
                                "the target must be a customer field name or attributes.<key>"));
                        continue;
                    }
                    String target = e.getValue().textValue();
                    String targetProblem = targetProblem(target, customerAttributes);
                    if (targetProblem != null) {
                        errors.add(new FieldError(at, target.startsWith(ATTRIBUTES) ? "unknown_attribute" : "unknown_field",
                                targetProblem));
                    }
                    traits.put(e.getKey(), target);
                }
            }
        }
        Map<String, PurchaseMapping> purchases = new LinkedHashMap<>();
        JsonNode purchasesNode = doc.get("purchases");
        if (purchasesNode != null && !purchasesNode.isNull()) {
            if (!purchasesNode.isObject()) {
                errors.add(new FieldError("/purchases", "invalid_type", "purchases must be an object of event name -> fields"));
            } else {
                if (purchasesNode.size() > MAX_ENTRIES) {
                    errors.add(new FieldError("/purchases", "too_many_items", "at most " + MAX_ENTRIES + " purchase events"));
                }
                for (var e : purchasesNode.properties()) {
                    String at = JsonPointers.append("/purchases", e.getKey());
                    if (e.getKey().isBlank() || e.getKey().length() > MAX_EVENT_NAME) {
                        errors.add(new FieldError(at, "invalid_value",
                                "an event name has 1 to " + MAX_EVENT_NAME + " characters"));
                    }
                    PurchaseMapping p = purchase(e.getValue(), at, errors);
                    if (p != null) {
                        purchases.put(e.getKey(), p);
                    }
                }
            }
        }
        if (!errors.isEmpty()) {
            throw ProblemException.validation(errors);
        }
        return new TrackingMapping(traits, purchases);
    }

    private static String targetProblem(String target, AttributeCatalog attributes) {
        if (target.startsWith(ATTRIBUTES)) {
            String key = target.substring(ATTRIBUTES.length());
            return attributes.types().containsKey(key) ? null : "attribute '" + key
                    + "' is not declared for customers; declare it with POST /attributes first";
        }
        return CUSTOMER_FIELDS.contains(target) ? null : "'" + target + "' is not a customer field; use one of "
                + String.join(", ", CUSTOMER_FIELDS.stream().sorted().toList()) + ", or attributes.<key>";
    }

    private static PurchaseMapping purchase(JsonNode node, String at, List<FieldError> errors) {
        if (!node.isObject()) {
            errors.add(new FieldError(at, "invalid_type", "a purchase mapping is an object of purchase field -> property paths"));
            return null;
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (var e : node.properties()) {
            String fieldAt = JsonPointers.append(at, e.getKey());
            if (!PURCHASE_FIELDS.contains(e.getKey())) {
                errors.add(new FieldError(fieldAt, "unknown_field", "'" + e.getKey()
                        + "' is not a purchase field; use one of " + String.join(", ", PURCHASE_FIELDS)));
                continue;
            }
            List<String> paths = new ArrayList<>();
            if (e.getValue().isTextual()) {
                check(e.getValue().textValue(), fieldAt, errors);
                paths.add(e.getValue().textValue());
            } else if (e.getValue().isArray() && !e.getValue().isEmpty()) {
                for (int i = 0; i < e.getValue().size(); i++) {
                    JsonNode p = e.getValue().get(i);
                    if (!p.isTextual()) {
                        errors.add(new FieldError(JsonPointers.append(fieldAt, i), "invalid_type", "a path is a string"));
                        continue;
                    }
                    check(p.textValue(), JsonPointers.append(fieldAt, i), errors);
                    paths.add(p.textValue());
                }
            } else {
                errors.add(new FieldError(fieldAt, "invalid_type", "property paths: a string or a non-empty array of strings"));
            }
            fields.put(e.getKey(), paths);
        }
        if (!fields.containsKey("amount") && !node.has("amount")) {
            errors.add(new FieldError(JsonPointers.append(at, "amount"), "required",
                    "a purchase needs the property paths of its amount"));
        }
        return new PurchaseMapping(fields.get("amount"), fields.get("currency"), fields.get("externalId"),
                fields.get("product"), fields.get("category"), fields.get("quantity"), fields.get("channel"));
    }

    private static void check(String path, String at, List<FieldError> errors) {
        String problem = PropertyPath.problem(path);
        if (problem != null) {
            errors.add(new FieldError(at, "invalid_path", "the property path is not valid: " + problem));
        }
    }
}
