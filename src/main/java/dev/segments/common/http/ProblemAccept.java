package dev.segments.common.http;

import dev.segments.common.error.Problem;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Locale;

/**
 * A client that accepts {@code application/problem+json} accepts this API's errors; it must not be refused its
 * successes for that. Generated clients (openapi-generator's Java client) send only the error type in
 * {@code Accept} on operations whose first listed response is an error, and got 406. Before matching, such an
 * {@code Accept} gets {@code *&#47;*} at the lowest preference added, so the client's own preferences still win where
 * the endpoint can meet them, errors stay problem+json, and successes come in their own type (issue 13).
 */
public class ProblemAccept {

    @ServerRequestFilter(preMatching = true)
    public void admitSuccesses(ContainerRequestContext request) {
        String accept = request.getHeaderString(HttpHeaders.ACCEPT);
        if (accept == null || !accept.toLowerCase(Locale.ROOT).contains(Problem.MEDIA_TYPE) || accept.contains("*/*")) {
            return;
        }
        request.getHeaders().putSingle(HttpHeaders.ACCEPT, accept + ", */*;q=0.01");
    }
}
