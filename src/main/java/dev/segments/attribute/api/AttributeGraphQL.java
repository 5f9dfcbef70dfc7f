package dev.segments.attribute.api;

import dev.segments.attribute.api.AttributeResource.AttributeInput;
import dev.segments.attribute.api.AttributeResource.AttributeView;
import dev.segments.attribute.service.AttributeService;
import dev.segments.attribute.service.AttributeType;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.Violations;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Validator;
import org.eclipse.microprofile.graphql.DefaultValue;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Mutation;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;

import java.util.List;

/** GraphQL: the custom attribute catalog. */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class AttributeGraphQL {

    private final AttributeService service;
    private final CurrentTenant tenant;
    private final Validator validator;

    AttributeGraphQL(AttributeService service, CurrentTenant tenant, Validator validator) {
        this.service = service;
        this.tenant = tenant;
        this.validator = validator;
    }

    @Query("attributes")
    @Description("The declared custom attributes")
    public Uni<List<AttributeView>> attributes() {
        long tenantId = tenant.id();
        return onVertxContext(() -> service.list(tenantId).map(l -> l.stream().map(AttributeView::of).toList()));
    }

    @Mutation("declareAttribute")
    @Description("Declares a custom attribute (idempotent; the type of a declared attribute cannot change)")
    public Uni<AttributeView> declareAttribute(@DefaultValue("customer") @Description("customer, purchase or interaction") String entity,
                                               @NonNull String key, @NonNull AttributeType type, String description) {
        AttributeInput input = new AttributeInput(entity, key, type, description);
        var errors = Violations.toErrors(validator.validate(input), "");
        if (!errors.isEmpty()) {
            throw ProblemException.validation(errors);
        }
        long tenantId = tenant.id();
        return onVertxContext(() -> service.declare(tenantId, entity, key, type, description)
                .map(d -> AttributeView.of(d.definition())));
    }

    /**
     * GraphQL runs on worker threads ({@code quarkus.smallrye-graphql.nonblocking.enabled=false}, so no query can
     * hold the event loop); Hibernate Reactive needs a Vert.x context, so its work runs on one while the worker waits.
     */
    private static <T> Uni<T> onVertxContext(java.util.function.Supplier<Uni<T>> work) {
        return Uni.createFrom().item(() -> {
            try {
                return io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(work);
            } catch (Throwable e) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        });
    }
}
