package dev.segments.common.pagination;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** One page of a keyset-paginated list; pass {@code nextCursor} as {@code after} to get the next page. */
public record Page<T>(
        @Schema(description = "The items of this page") List<T> items,
        @Schema(description = "Cursor for the next page; absent on the last page") String nextCursor) {
}
