package dev.segments.common.pagination;

import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;

/** A validated page size and cursor from query parameters. */
public record PageRequest(int limit, String after) {

    public static PageRequest of(Integer limit, String after, ServiceConfig.Limits limits) {
        int size = limit == null ? limits.defaultPageSize() : limit;
        if (size < 1 || size > limits.maxPageSize()) {
            throw ProblemException.validation("limit", "out_of_range",
                    "limit must be between 1 and " + limits.maxPageSize());
        }
        return new PageRequest(size, after == null || after.isBlank() ? null : after);
    }

    public long afterId() {
        return Cursors.decodeId(after);
    }
}
