package dev.segments.webhook;

import dev.segments.webhook.service.WebhookSignature;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The signature against a value computed elsewhere (Python's hmac), the example in docs/webhooks.md. */
class WebhookSignatureTest {

    static final String SECRET = "whsec_example-secret-do-not-use";
    static final String BODY = "{\"type\":\"membership.changed\",\"deliveryId\":\"0b6f1f7e-8c1a-4e0e-9a55-3d1b2c4d5e6f\"}";
    static final String EXPECTED = "v1=e6fac5ac05885d5150e336cafcefe967d8543a3c885173b1a3015e1b7d19e5ad";

    @Test
    void knownAnswer() {
        assertEquals(EXPECTED, WebhookSignature.sign(SECRET, 1767225600L, BODY));
    }

    @Test
    void verification() {
        assertTrue(WebhookSignature.verify(SECRET, "1767225600", BODY, EXPECTED));
        assertFalse(WebhookSignature.verify(SECRET, "1767225601", BODY, EXPECTED), "another timestamp");
        assertFalse(WebhookSignature.verify(SECRET, "1767225600", BODY + " ", EXPECTED), "another body");
        assertFalse(WebhookSignature.verify("whsec_other", "1767225600", BODY, EXPECTED), "another secret");
        assertFalse(WebhookSignature.verify(SECRET, "not a number", BODY, EXPECTED));
        assertFalse(WebhookSignature.verify(SECRET, "1767225600", BODY, null));
    }
}
