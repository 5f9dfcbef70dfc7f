package dev.segments.webhook.persistence;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A row of {@code webhook_delivery} (the outbox and delivery log); {@code body} only where it was selected. */
public record DeliveryRow(UUID id, long subscriptionId, long firstChangeId, long lastChangeId, int changeCount,
                          String status, int attempts, OffsetDateTime nextAttemptAt, Integer lastStatusCode,
                          String lastError, OffsetDateTime createdAt, OffsetDateTime deliveredAt, String body) {
}
