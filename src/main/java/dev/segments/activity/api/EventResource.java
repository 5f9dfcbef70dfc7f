package dev.segments.activity.api;

import dev.segments.activity.ActivityDtos.EventBatch;
import dev.segments.activity.ActivityDtos.EventInput;
import dev.segments.activity.ActivityDtos.EventView;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.service.ActivityImporter;
import dev.segments.activity.service.ActivityService;
import dev.segments.common.tenancy.CurrentTenant;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Events (site and app activity): the activity stream shape of {@link StreamResource}. */
@Path("/events")
@Tag(name = "Events")
public class EventResource extends StreamResource<EventInput, EventBatch, EventView> {

    EventResource(ActivityService service, ActivityImporter importer, CurrentTenant tenant) {
        super(service, importer, tenant, StreamKind.EVENT, EventView.class, EventView::id, "/events");
    }
}
