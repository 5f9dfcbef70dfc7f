package dev.segments.webhook.persistence;

import java.util.UUID;

/**
 * A pending delivery this instance has leased for one attempt: where to send it, how to sign it, and the attempt
 * number it was claimed with (the outcome is recorded only while that is still the latest attempt).
 */
public record ClaimedDelivery(UUID id, long subscriptionId, long tenantId, String url, String secret, String body,
                              int attempt) {
}
