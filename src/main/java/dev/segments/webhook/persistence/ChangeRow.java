package dev.segments.webhook.persistence;

import java.time.OffsetDateTime;
import java.util.List;

/** One entry of a tenant's change feed ({@code membership_change}); flippedNodes may be null. */
public record ChangeRow(long id, String segmentKey, long customerId, String customerExternalId, String kind,
                        String cause, OffsetDateTime at, List<String> flippedNodes) {
}
