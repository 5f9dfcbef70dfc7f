package dev.segments.common.graphql;

import org.eclipse.microprofile.graphql.Description;

/** Relay page information of a connection (the Relay cursor connections specification). */
@Description("Where this page starts and ends and whether another follows")
public record PageInfo(
        @Description("Whether a next page exists; fetch it with after: endCursor") boolean hasNextPage,
        @Description("Cursor of the last item of this page; null on an empty page") String endCursor,
        @Description("Always false: pages go forward only (first/after), where Relay lets a server answer false")
        boolean hasPreviousPage,
        @Description("Cursor of the first item of this page; null on an empty page") String startCursor) {
}
