package dev.segments.webhook.service;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The {@code Webhook-Signature} header: {@code v1=} and the lowercase hex HMAC-SHA256, keyed with the
 * subscription's secret (its UTF-8 bytes, as shown), of {@code <Webhook-Timestamp>.<body>}. See docs/webhooks.md.
 */
public final class WebhookSignature {

    public static final String ID_HEADER = "Webhook-Id";
    public static final String TIMESTAMP_HEADER = "Webhook-Timestamp";
    public static final String SIGNATURE_HEADER = "Webhook-Signature";
    static final String VERSION = "v1=";

    private WebhookSignature() {
    }

    /** The header value for this body sent at this time (unix seconds). */
    public static String sign(String secret, long timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
            return VERSION + HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** What a receiver does: the signature matches (compared in constant time). */
    public static boolean verify(String secret, String timestamp, String body, String signature) {
        long ts;
        try {
            ts = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            return false;
        }
        return signature != null && MessageDigest.isEqual(sign(secret, ts, body).getBytes(StandardCharsets.UTF_8),
                signature.getBytes(StandardCharsets.UTF_8));
    }
}
