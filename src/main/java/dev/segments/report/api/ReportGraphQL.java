package dev.segments.report.api;

import dev.segments.common.error.ProblemException;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.report.ReportDtos.ReportJob;
import dev.segments.report.ReportDtos.ReportJobRequest;
import dev.segments.report.service.ReportJobs;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Mutation;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;

import java.util.UUID;

/**
 * GraphQL twins of the report jobs of {@link ReportResource}: create one, read its state. The file itself is a
 * download (the job's {@code file}, GET /reports/{id}/file), not a GraphQL value.
 */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class ReportGraphQL {

    private final ReportJobs jobs;
    private final CurrentTenant tenant;

    ReportGraphQL(ReportJobs jobs, CurrentTenant tenant) {
        this.jobs = jobs;
        this.tenant = tenant;
    }

    @Mutation("createReportJob")
    @Description("Renders a report in the background: report segment (with segment) or segments (the tenant overview), "
            + "format pdf (default), csv or json; read its progress with reportJob, download its file from file")
    public Uni<ReportJob> createReportJob(@NonNull @Description("segment or segments") String report,
                                          @Description("The segment's key (report segment)") String segment,
                                          @Description("pdf (default), csv or json") String format) {
        return jobs.create(tenant.id(), new ReportJobRequest(report, segment, format));
    }

    @Query("reportJob")
    @Description("A report job's state and progress (null when unknown or expired)")
    public Uni<ReportJob> reportJob(@NonNull String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().nullItem();
        }
        return jobs.get(tenant.id(), uuid).onFailure(ProblemException.class)
                .recoverWithUni(f -> ((ProblemException) f).type() == dev.segments.common.error.ProblemType.NOT_FOUND
                        ? Uni.createFrom().nullItem() : Uni.createFrom().failure(f));
    }
}
