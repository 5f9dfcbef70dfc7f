package dev.segments.report.api;

import dev.segments.report.ReportDtos.Rendered;
import jakarta.ws.rs.core.Response;

/** A rendered report as a download. */
final class ReportFiles {

    private ReportFiles() {
    }

    static Response download(Rendered file) {
        return Response.ok(file.bytes(), file.mediaType().equals("text/csv") ? "text/csv; charset=utf-8" : file.mediaType())
                .header("Content-Disposition", "attachment; filename=\"" + file.fileName() + "\"")
                .header("Cache-Control", "no-store")
                .build();
    }
}
