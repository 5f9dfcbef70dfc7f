package dev.segments.common.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** API key format and hashing. Keys are {@code sk_} + 32 random bytes (base64url); only SHA-256 is stored. */
public final class ApiKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "sk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** What may be shown of a key after creation: enough to recognise it, not to use it. */
    public static String prefix(String key) {
        return key.substring(0, Math.min(key.length(), 10));
    }

    public static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Constant-time comparison, for the admin key. */
    public static boolean same(String a, String b) {
        return a != null && b != null && MessageDigest.isEqual(hash(a), hash(b));
    }
}
