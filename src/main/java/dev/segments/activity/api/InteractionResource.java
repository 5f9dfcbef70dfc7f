package dev.segments.activity.api;

import dev.segments.activity.ActivityDtos.InteractionBatch;
import dev.segments.activity.ActivityDtos.InteractionInput;
import dev.segments.activity.ActivityDtos.InteractionView;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.service.ActivityImporter;
import dev.segments.activity.service.ActivityService;
import dev.segments.common.tenancy.CurrentTenant;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Interactions (consultations, calls, contact attempts, refusals): the activity stream shape of {@link StreamResource}. */
@Path("/interactions")
@Tag(name = "Interactions")
public class InteractionResource extends StreamResource<InteractionInput, InteractionBatch, InteractionView> {

    InteractionResource(ActivityService service, ActivityImporter importer, CurrentTenant tenant) {
        super(service, importer, tenant, StreamKind.INTERACTION, InteractionView.class, InteractionView::id, "/interactions");
    }
}
