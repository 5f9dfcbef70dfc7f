package dev.segments.webhook.persistence;

import java.time.OffsetDateTime;

/** One entry of a tenant's change feed ({@code membership_change}). */
public record ChangeRow(long id, String segmentKey, long customerId, String customerExternalId, String kind,
                        String cause, OffsetDateTime at) {
}
