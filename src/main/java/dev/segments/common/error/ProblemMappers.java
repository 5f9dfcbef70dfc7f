package dev.segments.common.error;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;


/**
 * The one place where exceptions become HTTP responses. Every response is {@code application/problem+json};
 * none carries a Java class name or a stack trace. Client-caused failures are 4xx; only our own faults are 5xx.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        if (e.type() == ProblemType.UNAVAILABLE) {
            return Response.fromResponse(respond(e.problem())).header("Retry-After", "1").build();
        }
        return respond(e.problem());
    }

    @ServerExceptionMapper
    public Response unknownProperty(UnrecognizedPropertyException e) {
        return badJson(e);
    }

    @ServerExceptionMapper
    public Response mismatch(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
        return badJson(e);
    }

    @ServerExceptionMapper
    public Response parse(com.fasterxml.jackson.core.JsonParseException e) {
        return badJson(e);
    }

    /** Any body Jackson could not read (the wording and pointers are shared with GraphQL: {@link Problems}). */
    @ServerExceptionMapper
    public Response badJson(JacksonException e) {
        return respond(Problems.fromJackson(e).problem());
    }

    @ServerExceptionMapper
    public Response violation(ConstraintViolationException e) {
        return respond(ProblemException.validation(Violations.toErrors(e.getConstraintViolations(), "")).problem());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e.getCause() instanceof JacksonException json) {
            return badJson(json);
        }
        if (e.getCause() instanceof ProblemException p) {
            return respond(p.problem()); // e.g. a query parameter's converter refused the value
        }
        int status = e.getResponse().getStatus();
        ProblemType type = ProblemType.forStatus(status);
        String detail = switch (type) {
            case NOT_FOUND -> "No such resource";
            case METHOD_NOT_ALLOWED -> "This resource does not support that method";
            case UNSUPPORTED_MEDIA_TYPE -> "This resource does not accept that Content-Type";
            case NOT_ACCEPTABLE -> "This resource cannot produce the media type in Accept";
            default -> status >= 500 ? "The service failed to handle the request" : e.getMessage();
        };
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        return Response.status(status).type(Problem.MEDIA_TYPE)
                .entity(new Problem(type.uri(), type.title(), status, detail, null)).build();
    }

    @ServerExceptionMapper
    public Response any(Throwable e) {
        if (ConnectionLoss.isConnectionLoss(e)) {
            LOG.warnf("request failed: database connection lost (%s)", e.toString());
            return Response.fromResponse(respond(ConnectionLoss.problem()))
                    .header("Retry-After", ConnectionLoss.RETRY_AFTER_SECONDS).build();
        }
        ProblemException p = Problems.clientProblem(e);
        if (p != null) {
            return respond(p.problem());
        }
        LOG.error("unhandled failure", e);
        return respond(ProblemType.INTERNAL.problem("The service failed to handle the request"));
    }

    public static Response respond(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }


    /** {@code create.body.contacts[0].email} becomes {@code /contacts/0/email}. */
    static String pointer(ConstraintViolation<?> v) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (Path.Node node : v.getPropertyPath()) {
            i++;
            if (node.getKind() == ElementKind.METHOD || node.getKind() == ElementKind.PARAMETER) {
                if (node.getKind() == ElementKind.PARAMETER && i == 2 && !isBody(v)) {
                    sb.append(node.getName());
                }
                continue;
            }
            if (node.isInIterable()) {
                sb.append('/').append(node.getIndex() != null ? node.getIndex() : node.getKey());
            }
            if (node.getName() != null && node.getKind() == ElementKind.PROPERTY) {
                sb.append('/').append(JsonPointers.escape(node.getName()));
            }
        }
        return sb.toString();
    }

    private static boolean isBody(ConstraintViolation<?> v) {
        return v.getLeafBean() != null && v.getLeafBean() != v.getRootBean();
    }

    static String code(ConstraintViolation<?> v) {
        String annotation = v.getConstraintDescriptor().getAnnotation().annotationType().getSimpleName();
        return switch (annotation) {
            case "NotNull", "NotBlank", "NotEmpty" -> "required";
            case "Size", "Min", "Max", "DecimalMin", "DecimalMax", "Positive", "PositiveOrZero", "Digits" -> "out_of_range";
            case "Email" -> "invalid_email";
            case "Pattern" -> "invalid_format";
            default -> "invalid_value";
        };
    }
}
