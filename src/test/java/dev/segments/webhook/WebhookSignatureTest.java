package dev.segments.webhook;

import dev.segments.webhook.service.WebhookSignature;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The signature against the Standard Webhooks specification's own test vector (the example every official
 * verifier library tests against), also shown in docs/webhooks.md.
 */
class WebhookSignatureTest {

    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    static final String BODY = "{\"test\": 2432232314}";
    static final String EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    @Test
    void knownAnswerOfTheSpecification() {
        assertEquals(EXPECTED, WebhookSignature.sign(SECRET, ID, 1614265330L, BODY));
    }

    @Test
    void verifyRejectsAnyChange() {
        assertTrue(WebhookSignature.verify(SECRET, ID, "1614265330", BODY, EXPECTED));
        assertTrue(WebhookSignature.verify(SECRET, ID, "1614265330", BODY, "v1,other " + EXPECTED), "one of several");
        assertFalse(WebhookSignature.verify(SECRET, ID, "1614265331", BODY, EXPECTED), "another timestamp");
        assertFalse(WebhookSignature.verify(SECRET, "msg_other", "1614265330", BODY, EXPECTED), "another id");
        assertFalse(WebhookSignature.verify(SECRET, ID, "1614265330", BODY + " ", EXPECTED), "another body");
        assertFalse(WebhookSignature.verify("whsec_" + "A".repeat(32), ID, "1614265330", BODY, EXPECTED), "another secret");
        assertFalse(WebhookSignature.verify(SECRET, ID, "not a number", BODY, EXPECTED));
        assertFalse(WebhookSignature.verify(SECRET, ID, "1614265330", BODY, null));
    }

    @Test
    void secretsHaveTheStandardForm() {
        assertTrue(WebhookSignature.validSecret(SECRET));
        assertFalse(WebhookSignature.validSecret("test-secret-0123456789"), "no prefix");
        assertFalse(WebhookSignature.validSecret("whsec_not*base64*at*all*!!"), "not base64");
        assertFalse(WebhookSignature.validSecret("whsec_c2hvcnQ="), "too short");
    }
}
