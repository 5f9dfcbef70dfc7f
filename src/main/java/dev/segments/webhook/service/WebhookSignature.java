package dev.segments.webhook.service;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Signatures as the Standard Webhooks specification defines them (standardwebhooks.com), so every language's
 * verifier works: headers {@code webhook-id}, {@code webhook-timestamp} (unix seconds) and
 * {@code webhook-signature: v1,<base64 of HMAC-SHA256 of "<id>.<timestamp>.<body>">}, keyed with the secret's
 * bytes: a secret is {@code whsec_} followed by the standard base64 of 24 to 64 random bytes. See docs/webhooks.md.
 */
public final class WebhookSignature {

    public static final String ID_HEADER = "webhook-id";
    public static final String TIMESTAMP_HEADER = "webhook-timestamp";
    public static final String SIGNATURE_HEADER = "webhook-signature";
    static final String PREFIX = "whsec_";
    static final String VERSION = "v1,";

    private WebhookSignature() {
    }

    /** Whether a secret has the form {@code whsec_<base64 of 24..64 bytes>}. */
    public static boolean validSecret(String secret) {
        byte[] key = key(secret);
        return key != null && key.length >= 24 && key.length <= 64;
    }

    /** The {@code webhook-signature} value for this message id, time (unix seconds) and body. */
    public static String sign(String secret, String id, long timestamp, String body) {
        byte[] key = key(secret);
        if (key == null) {
            // a secret stored before the Standard Webhooks format: its UTF-8 bytes (rotate it with PATCH)
            key = secret.getBytes(StandardCharsets.UTF_8);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] digest = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
            return VERSION + Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** What a receiver does: one of the space-separated signatures matches (compared in constant time). */
    public static boolean verify(String secret, String id, String timestamp, String body, String signatures) {
        long ts;
        try {
            ts = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            return false;
        }
        if (signatures == null) {
            return false;
        }
        byte[] expected = sign(secret, id, ts, body).getBytes(StandardCharsets.UTF_8);
        for (String candidate : signatures.split(" ")) {
            if (MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.UTF_8))) {
                return true;
            }
        }
        return false;
    }

    private static byte[] key(String secret) {
        if (secret == null || !secret.startsWith(PREFIX)) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
