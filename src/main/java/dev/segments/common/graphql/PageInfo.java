package dev.segments.common.graphql;

import org.eclipse.microprofile.graphql.Description;

/** Relay-style page information of a connection. */
@Description("Where this page ends and whether another follows")
public record PageInfo(
        @Description("Whether a next page exists; fetch it with after: endCursor") boolean hasNextPage,
        @Description("Cursor of the last item of this page; null on an empty page") String endCursor) {
}
