package dev.segments.webhook.persistence;

import java.util.List;

/**
 * The matching changes after a subscription's cursor (at most the batch size, in feed order), and the position
 * the cursor may move to: the last matching change of a full batch, else the end of the feed as seen by the same
 * statement (skipping changes of other segments too).
 */
public record FeedBatch(List<ChangeRow> changes, long scannedTo) {
}
