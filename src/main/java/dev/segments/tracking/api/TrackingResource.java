package dev.segments.tracking.api;

import dev.segments.tracking.TrackingDtos;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.json.InputChecks;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.tracking.TrackingDtos.TrackingMapping;
import dev.segments.tracking.TrackingDtos.TrackingResult;
import dev.segments.tracking.service.TrackingService;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.Problems;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * The tracking API: the Segment Spec calls that CDP pipelines (Segment, RudderStack, Jitsu, the analytics-node
 * SDK) send to a destination, and the tenant's mapping of traits and events (docs/tracking.md). Bodies are read
 * here as bytes (gzip decoded when sent so, as RudderStack's SDK does) and parsed by the service, so that one bad
 * message is reported on its own rather than failing the whole body.
 */
@Path("/tracking")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Tracking", description = "Segment Spec calls as CDP pipelines send them to a destination, and the tenant's mapping of traits and events (docs/tracking.md)")
@SecurityScheme(securitySchemeName = "writeKey", type = SecuritySchemeType.HTTP, scheme = "basic",
        description = "A tenant API key as the Basic user name with an empty password (`Authorization: Basic "
                + "base64(sk_...:)`), as Segment and RudderStack send a write key. Bearer works as well.")
public class TrackingResource {

    private static final String JSON = MediaType.APPLICATION_JSON;
    /** What browsers' analytics.js sends to avoid a CORS preflight; the body is JSON all the same. */
    private static final String TEXT = MediaType.TEXT_PLAIN;

    private final TrackingService service;
    private final CurrentTenant tenant;
    private final ServiceConfig config;
    private final ObjectMapper mapper;

    TrackingResource(TrackingService service, CurrentTenant tenant, ServiceConfig config, ObjectMapper mapper) {
        this.service = service;
        this.tenant = tenant;
        this.config = config;
        this.mapper = mapper;
    }

    @POST
    @Path("/v1/batch")
    @Consumes({JSON, TEXT})
    @Operation(summary = "Receive a batch of Segment Spec messages",
            description = """
                    The body Segment's and RudderStack's SDKs post: `{"batch": [message, ...], "sentAt": ...}` with \
                    identify, track, page, screen and group messages (gzip allowed). Each message is stored or \
                    refused on its own; the answer lists the refused ones with their index and a pointer. A body \
                    that is not JSON is a 400, one without a batch array a 422.""")
    @RequestBody(content = @Content(mediaType = JSON, schema = @Schema(type = SchemaType.OBJECT,
            description = "{\"batch\": [Segment Spec messages], \"sentAt\": ISO-8601}")))
    @SecurityRequirement(name = "writeKey")
    @SecurityRequirement(name = "apiKey")
    @APIResponseSchema(value = TrackingResult.class, responseCode = "200", responseDescription = "Received")
    public Uni<TrackingResult> batch(@Parameter(description = "gzip, or absent for a plain JSON body") @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return service.batch(tenant.id(), decoded(encoding, body));
    }

    @POST
    @Path("/v1/identify")
    @Consumes({JSON, TEXT})
    @Operation(summary = "Receive a Segment Spec identify call",
            description = "userId is the customer's externalId; traits fill customer fields and declared attributes "
                    + "by the tenant's mapping, changing only the fields they mention.")
    @RequestBody(content = @Content(mediaType = JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @SecurityRequirement(name = "writeKey")
    @SecurityRequirement(name = "apiKey")
    @APIResponseSchema(value = TrackingResult.class, responseCode = "200", responseDescription = "Received")
    public Uni<TrackingResult> identify(@Parameter(description = "gzip, or absent for a plain JSON body") @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return service.single(tenant.id(), "identify", decoded(encoding, body));
    }

    @POST
    @Path("/v1/track")
    @Consumes({JSON, TEXT})
    @Operation(summary = "Receive a Segment Spec track call",
            description = "An event with its properties; an event name the mapping lists as a purchase becomes a purchase.")
    @RequestBody(content = @Content(mediaType = JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @SecurityRequirement(name = "writeKey")
    @SecurityRequirement(name = "apiKey")
    @APIResponseSchema(value = TrackingResult.class, responseCode = "200", responseDescription = "Received")
    public Uni<TrackingResult> track(@Parameter(description = "gzip, or absent for a plain JSON body") @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return service.single(tenant.id(), "track", decoded(encoding, body));
    }

    @POST
    @Path("/v1/page")
    @Consumes({JSON, TEXT})
    @Operation(summary = "Receive a Segment Spec page call", description = "An event named page with name, url, path, title and referrer.")
    @RequestBody(content = @Content(mediaType = JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @SecurityRequirement(name = "writeKey")
    @SecurityRequirement(name = "apiKey")
    @APIResponseSchema(value = TrackingResult.class, responseCode = "200", responseDescription = "Received")
    public Uni<TrackingResult> page(@Parameter(description = "gzip, or absent for a plain JSON body") @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return service.single(tenant.id(), "page", decoded(encoding, body));
    }

    @POST
    @Path("/v1/screen")
    @Consumes({JSON, TEXT})
    @Operation(summary = "Receive a Segment Spec screen call", description = "An event named screen with name and properties.")
    @RequestBody(content = @Content(mediaType = JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @SecurityRequirement(name = "writeKey")
    @SecurityRequirement(name = "apiKey")
    @APIResponseSchema(value = TrackingResult.class, responseCode = "200", responseDescription = "Received")
    public Uni<TrackingResult> screen(@Parameter(description = "gzip, or absent for a plain JSON body") @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return service.single(tenant.id(), "screen", decoded(encoding, body));
    }

    @POST
    @Path("/v1/group")
    @Consumes({JSON, TEXT})
    @Operation(summary = "Receive a Segment Spec group call", description = "An event named group with groupId and traits.")
    @RequestBody(content = @Content(mediaType = JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @SecurityRequirement(name = "writeKey")
    @SecurityRequirement(name = "apiKey")
    @APIResponseSchema(value = TrackingResult.class, responseCode = "200", responseDescription = "Received")
    public Uni<TrackingResult> group(@Parameter(description = "gzip, or absent for a plain JSON body") @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return service.single(tenant.id(), "group", decoded(encoding, body));
    }

    @GET
    @Path("/mapping")
    @Operation(summary = "Get the tenant's tracking mapping (the default until one is stored)")
    @APIResponseSchema(value = TrackingMapping.class, responseCode = "200", responseDescription = "The mapping")
    public Uni<TrackingMapping> mapping() {
        return service.mapping(tenant.id());
    }

    @PUT
    @Path("/mapping")
    @Consumes(JSON)
    @Operation(summary = "Replace the tenant's tracking mapping",
            description = "Validated like a rule: one 422 lists every problem (unknown target field, undeclared "
                    + "attribute, bad property path, a purchase without an amount), each with a JSON Pointer.")
    @RequestBody(content = @Content(mediaType = JSON, schema = @Schema(implementation = TrackingMapping.class)))
    @APIResponseSchema(value = TrackingMapping.class, responseCode = "200", responseDescription = "Stored")
    public Uni<TrackingMapping> replaceMapping(byte[] body) {
        JsonNode doc;
        try {
            doc = mapper.readTree(InputChecks.utf8(body == null ? new byte[0] : body));
        } catch (JacksonException e) {
            throw Problems.fromJackson(e);
        }
        if (doc == null || doc.isMissingNode()) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is empty");
        }
        return service.replaceMapping(tenant.id(), doc);
    }

    /** The body as sent, or gunzipped (at most segments.limits.max-json-bytes once decoded). */
    private byte[] decoded(String encoding, byte[] body) {
        if (encoding == null || encoding.isBlank() || encoding.trim().equalsIgnoreCase("identity") || body == null) {
            return body;
        }
        if (!encoding.trim().equalsIgnoreCase("gzip")) {
            throw new ProblemException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "Content-Encoding '" + encoding.trim() + "' is not supported; send gzip or no encoding");
        }
        long max = config.limits().maxJsonBytes();
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                if (out.size() > max) {
                    throw new ProblemException(ProblemType.PAYLOAD_TOO_LARGE,
                            "The body is larger than " + max + " bytes once decompressed");
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is not valid gzip");
        }
    }
}
