package dev.segments.common.openapi;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;

import java.util.Map;

/**
 * Every operation's {@code operationId}: the method names of generated SDKs ({@code customersApi.createCustomer},
 * not {@code customersPost}), so they are part of the contract and kept here in one table, named like the GraphQL
 * fields where both exist. A new endpoint without an entry fails {@code HealthAndSpecTest}.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class OperationIds implements OASFilter {

    static final Map<String, String> IDS = Map.ofEntries(
            Map.entry("GET /admin/tenants", "listTenants"),
            Map.entry("POST /admin/tenants", "createTenant"),
            Map.entry("GET /admin/tenants/{tenantId}", "getTenant"),
            Map.entry("PATCH /admin/tenants/{tenantId}", "updateTenant"),
            Map.entry("GET /admin/tenants/{tenantId}/keys", "listApiKeys"),
            Map.entry("POST /admin/tenants/{tenantId}/keys", "createApiKey"),
            Map.entry("DELETE /admin/tenants/{tenantId}/keys/{keyId}", "revokeApiKey"),
            Map.entry("GET /analytics/abc-xyz", "getAbcXyzModel"),
            Map.entry("PUT /analytics/abc-xyz", "saveAbcXyzModel"),
            Map.entry("POST /analytics/abc-xyz/recompute", "recomputeAbcXyzModel"),
            Map.entry("GET /analytics/activity", "getActivityModel"),
            Map.entry("PUT /analytics/activity", "saveActivityModel"),
            Map.entry("POST /analytics/activity/recompute", "recomputeActivityModel"),
            Map.entry("GET /analytics/lead-scoring", "getLeadScoringModel"),
            Map.entry("PUT /analytics/lead-scoring", "saveLeadScoringModel"),
            Map.entry("POST /analytics/lead-scoring/recompute", "recomputeLeadScoringModel"),
            Map.entry("GET /analytics/rfm", "getRfmModel"),
            Map.entry("PUT /analytics/rfm", "saveRfmModel"),
            Map.entry("POST /analytics/rfm/recompute", "recomputeRfmModel"),
            Map.entry("POST /analytics/rfm/template-segments", "installRfTemplate"),
            Map.entry("GET /analytics/value-quadrants", "getValueQuadrantModel"),
            Map.entry("PUT /analytics/value-quadrants", "saveValueQuadrantModel"),
            Map.entry("POST /analytics/value-quadrants/recompute", "recomputeValueQuadrantModel"),
            Map.entry("GET /attributes", "listAttributes"),
            Map.entry("POST /attributes", "declareAttribute"),
            Map.entry("GET /attributes/{entity}/{key}", "getAttribute"),
            Map.entry("GET /changes", "listChanges"),
            Map.entry("GET /customers", "listCustomers"),
            Map.entry("POST /customers", "createCustomer"),
            Map.entry("GET /customers/by-external-id/{externalId}", "getCustomerByExternalId"),
            Map.entry("PUT /customers/by-external-id/{externalId}", "upsertCustomerByExternalId"),
            Map.entry("POST /customers/import", "importCustomers"),
            Map.entry("POST /customers/search", "searchCustomers"),
            Map.entry("GET /customers/{id}", "getCustomer"),
            Map.entry("PATCH /customers/{id}", "updateCustomer"),
            Map.entry("DELETE /customers/{id}", "deleteCustomer"),
            Map.entry("GET /customers/{customerId}/analytics", "getCustomerAnalytics"),
            Map.entry("GET /customers/{customerId}/events", "listCustomerEvents"),
            Map.entry("GET /customers/{customerId}/interactions", "listCustomerInteractions"),
            Map.entry("GET /customers/{customerId}/purchases", "listCustomerPurchases"),
            Map.entry("GET /customers/{customerId}/segments", "listCustomerSegments"),
            Map.entry("POST /events", "recordEvent"),
            Map.entry("POST /events/batch", "recordEvents"),
            Map.entry("POST /events/import", "importEvents"),
            Map.entry("GET /events/{id}", "getEvent"),
            Map.entry("DELETE /events/{id}", "deleteEvent"),
            Map.entry("GET /fields", "getFieldCatalog"),
            Map.entry("GET /fields/querybuilder", "getQueryBuilderFields"),
            Map.entry("GET /imports", "listImports"),
            Map.entry("POST /imports", "startImport"),
            Map.entry("GET /imports/{id}", "getImport"),
            Map.entry("DELETE /imports/{id}", "cancelImport"),
            Map.entry("GET /imports/{id}/errors", "getImportErrors"),
            Map.entry("POST /interactions", "recordInteraction"),
            Map.entry("POST /interactions/batch", "recordInteractions"),
            Map.entry("POST /interactions/import", "importInteractions"),
            Map.entry("GET /interactions/{id}", "getInteraction"),
            Map.entry("DELETE /interactions/{id}", "deleteInteraction"),
            Map.entry("POST /purchases", "recordPurchase"),
            Map.entry("POST /purchases/batch", "recordPurchases"),
            Map.entry("POST /purchases/import", "importPurchases"),
            Map.entry("GET /purchases/{id}", "getPurchase"),
            Map.entry("DELETE /purchases/{id}", "deletePurchase"),
            Map.entry("POST /rules/text", "renderRuleText"),
            Map.entry("GET /segments", "listSegments"),
            Map.entry("POST /segments", "createSegment"),
            Map.entry("GET /segments/overlap", "getSegmentOverlap"),
            Map.entry("POST /segments/preview", "previewSegment"),
            Map.entry("POST /segments/preview/explain", "explainRule"),
            Map.entry("GET /segments/{key}", "getSegment"),
            Map.entry("PUT /segments/{key}", "replaceSegment"),
            Map.entry("DELETE /segments/{key}", "deleteSegment"),
            Map.entry("GET /segments/{key}/changes", "listSegmentChanges"),
            Map.entry("GET /segments/{key}/count", "countSegmentMembers"),
            Map.entry("GET /segments/{key}/effectiveness", "getSegmentEffectiveness"),
            Map.entry("GET /segments/{key}/explain/{customerId}", "explainSegment"),
            Map.entry("GET /segments/{key}/freshness", "getSegmentFreshness"),
            Map.entry("GET /segments/{key}/history", "getSegmentHistory"),
            Map.entry("GET /segments/{key}/members", "listSegmentMembers"),
            Map.entry("POST /segments/{key}/members", "addSegmentMembers"),
            Map.entry("GET /segments/{key}/members.csv", "exportSegmentMembers"),
            Map.entry("POST /segments/{key}/members/remove", "removeSegmentMembers"),
            Map.entry("GET /segments/{key}/profile", "getSegmentProfile"),
            Map.entry("GET /segments/{key}/report.csv", "getSegmentReportCsv"),
            Map.entry("GET /segments/{key}/report.json", "getSegmentReport"),
            Map.entry("GET /segments/{key}/report.pdf", "getSegmentReportPdf"),
            Map.entry("GET /reports/segments.csv", "getSegmentsOverviewCsv"),
            Map.entry("GET /reports/segments.json", "getSegmentsOverview"),
            Map.entry("GET /reports/segments.pdf", "getSegmentsOverviewPdf"),
            Map.entry("POST /reports", "createReportJob"),
            Map.entry("GET /reports/{id}", "getReportJob"),
            Map.entry("GET /reports/{id}/file", "getReportJobFile"),
            Map.entry("POST /segments/{key}/refresh", "refreshSegment"),
            Map.entry("POST /segments/refresh", "refreshAllSegments"),
            Map.entry("GET /segments/{key}/rule", "getSegmentRule"),
            Map.entry("GET /tracking/mapping", "getTrackingMapping"),
            Map.entry("PUT /tracking/mapping", "replaceTrackingMapping"),
            Map.entry("POST /tracking/v1/batch", "receiveTrackingBatch"),
            Map.entry("POST /tracking/v1/group", "receiveGroupCall"),
            Map.entry("POST /tracking/v1/identify", "receiveIdentifyCall"),
            Map.entry("POST /tracking/v1/page", "receivePageCall"),
            Map.entry("POST /tracking/v1/screen", "receiveScreenCall"),
            Map.entry("POST /tracking/v1/track", "receiveTrackCall"),
            Map.entry("GET /webhooks", "listWebhooks"),
            Map.entry("POST /webhooks", "createWebhook"),
            Map.entry("GET /webhooks/{id}", "getWebhook"),
            Map.entry("PATCH /webhooks/{id}", "updateWebhook"),
            Map.entry("DELETE /webhooks/{id}", "deleteWebhook"),
            Map.entry("GET /webhooks/{id}/deliveries", "listWebhookDeliveries"),
            Map.entry("GET /webhooks/{id}/deliveries/{deliveryId}", "getWebhookDelivery"),
            Map.entry("POST /webhooks/{id}/deliveries/{deliveryId}/retry", "retryWebhookDelivery"));

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        for (var path : openAPI.getPaths().getPathItems().entrySet()) {
            for (Map.Entry<PathItem.HttpMethod, Operation> op : path.getValue().getOperations().entrySet()) {
                String id = IDS.get(op.getKey().name() + " " + path.getKey());
                if (id != null && op.getValue().getOperationId() == null) {
                    op.getValue().setOperationId(id);
                }
            }
        }
    }
}
