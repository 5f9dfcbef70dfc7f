package dev.segments.common.pagination;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.function.Function;

/** One page of a keyset-paginated list; pass {@code nextCursor} as {@code after} to get the next page. */
public record Page<T>(
        @Schema(description = "The items of this page") List<T> items,
        @Schema(description = "Cursor for the next page; absent on the last page") String nextCursor) {

    /**
     * The page from a query that fetched one row more than {@code limit}: that extra row only says another
     * page follows, whose cursor is made from the page's last item.
     */
    public static <T> Page<T> fromOverfetch(List<T> rows, int limit, Function<T, String> cursorOf) {
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        List<T> items = rows.subList(0, limit);
        return new Page<>(items, cursorOf.apply(items.get(limit - 1)));
    }
}
