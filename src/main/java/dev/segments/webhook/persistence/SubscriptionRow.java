package dev.segments.webhook.persistence;

import java.time.OffsetDateTime;
import java.util.List;

/** A row of {@code webhook_subscription}. */
public record SubscriptionRow(long id, long tenantId, String url, List<String> segments, String secret,
                              boolean active, long lastChangeId, OffsetDateTime createdAt) {
}
