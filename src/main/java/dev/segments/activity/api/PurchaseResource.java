package dev.segments.activity.api;

import dev.segments.activity.ActivityDtos.PurchaseBatch;
import dev.segments.activity.ActivityDtos.PurchaseInput;
import dev.segments.activity.ActivityDtos.PurchaseView;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.service.ActivityImporter;
import dev.segments.activity.service.ActivityService;
import dev.segments.common.tenancy.CurrentTenant;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Purchases: the activity stream shape of {@link StreamResource}. */
@Path("/purchases")
@Tag(name = "Purchases")
public class PurchaseResource extends StreamResource<PurchaseInput, PurchaseBatch, PurchaseView> {

    PurchaseResource(ActivityService service, ActivityImporter importer, CurrentTenant tenant) {
        super(service, importer, tenant, StreamKind.PURCHASE, PurchaseView.class, PurchaseView::id, "/purchases");
    }
}
