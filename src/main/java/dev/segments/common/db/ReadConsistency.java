package dev.segments.common.db;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemType;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a request may read from ({@link ReadPools}): the {@value #READ_AFTER} request header (every route, GraphQL
 * included), the REST method (GET and HEAD, and POSTs marked {@link ReplicaReads}, may read from the replica;
 * every other request reads the primary), and the token a
 * REST write response sends back while a replica is configured ({@value #READ_AFTER}: the primary's WAL position
 * after the write, to send with the reads that must see it). GraphQL mutations stick to the primary in
 * {@code common.graphql.OperationLimits}.
 */
@ApplicationScoped
public class ReadConsistency {

    public static final String READ_AFTER = "Read-After";

    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

    private final ReadPools reads;
    private final ObjectMapper mapper;
    private final Map<String, Boolean> replicaReads = new ConcurrentHashMap<>();

    ReadConsistency(ReadPools reads, ObjectMapper mapper) {
        this.reads = reads;
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        // after authentication (MIN_VALUE + 100), before the GraphQL body check (MIN_VALUE + 200)
        router.route().order(Integer.MIN_VALUE + 150).handler(this::header);
    }

    private void header(RoutingContext rc) {
        String token = rc.request().getHeader(READ_AFTER);
        if (token == null || ReadPools.readAfter(token.strip())) {
            rc.next();
            return;
        }
        Problem problem = ProblemType.MALFORMED_REQUEST.problem("The Read-After header takes a WAL position as sent in a"
                + " write's Read-After response header (for example 0/16B3748), or 'primary'");
        try {
            rc.response().setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(mapper.writeValueAsString(problem));
        } catch (JsonProcessingException e) {
            rc.fail(e);
        }
    }

    @ServerRequestFilter
    public void readsMayUseTheReplica(SimpleResourceInfo resource, ContainerRequestContext request) {
        if (SAFE.contains(request.getMethod())) {
            ReadPools.allowReplica();
            return;
        }
        boolean replica = replicaReads.computeIfAbsent(resource.getResourceClass().getName() + "#"
                + resource.getMethodName() + java.util.Arrays.toString(resource.parameterTypes()), k -> {
            try {
                return resource.getResourceClass().getMethod(resource.getMethodName(), resource.parameterTypes())
                        .isAnnotationPresent(ReplicaReads.class);
            } catch (NoSuchMethodException e) {
                return false; // treated as a write
            }
        });
        if (replica) {
            ReadPools.allowReplica();
        }
    }

    @ServerResponseFilter
    public Uni<Void> token(ContainerRequestContext request, ContainerResponseContext response) {
        if (!reads.replicaConfigured() || SAFE.contains(request.getMethod()) || response.getStatus() >= 400) {
            return Uni.createFrom().voidItem();
        }
        return reads.primaryPosition().invoke(lsn -> response.getHeaders().putSingle(READ_AFTER, lsn))
                .onFailure().recoverWithNull().replaceWithVoid();
    }
}
