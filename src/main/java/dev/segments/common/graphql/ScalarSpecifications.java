package dev.segments.common.graphql;

import graphql.Directives;
import graphql.Scalars;
import graphql.schema.GraphQLAppliedDirective;
import graphql.schema.GraphQLAppliedDirectiveArgument;
import graphql.schema.GraphQLScalarType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLSchemaElement;
import graphql.schema.GraphQLTypeVisitorStub;
import graphql.schema.SchemaTransformer;
import graphql.util.TraversalControl;
import graphql.util.TraverserContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static graphql.util.TreeTransformerUtil.changeNode;

/**
 * Gives every custom scalar of the schema its {@code @specifiedBy} URL (GraphQL spec, "Scalar Specification URL"),
 * so codegen tools and graphql-js see how each one is written on the wire: SmallRye builds its scalars without one.
 *
 * <p>SmallRye fires the schema builder as a CDI event just before it builds the schema
 * ({@code quarkus.smallrye-graphql.events.enabled=true}); the types are already made by then and are immutable, so
 * the builder's content is built once, rewritten with graphql-java's {@link SchemaTransformer} (which swaps every
 * reference to a changed scalar) and put back into the same builder. The served and the printed schema
 * ({@code /graphql/schema.graphql}, committed as {@code openapi/schema.graphql}) are both built from it.
 */
@ApplicationScoped
public class ScalarSpecifications {

    /** Scalar name to the document that says how its values are written. */
    static final Map<String, String> URLS = Map.of(
            // RFC 3339 date-time with an offset (we always write UTC, "Z")
            "DateTime", "https://scalars.graphql.org/andimarek/date-time",
            // RFC 3339 full-date, no time zone
            "Date", "https://scalars.graphql.org/andimarek/local-date",
            // exact decimals and integers: a JSON number of any precision (read from a number or a string)
            "BigDecimal", "https://www.rfc-editor.org/rfc/rfc8259#section-6",
            "BigInteger", "https://www.rfc-editor.org/rfc/rfc8259#section-6",
            // any JSON value
            "JSON", "https://www.rfc-editor.org/rfc/rfc8259");

    void specify(@Observes GraphQLSchema.Builder builder) {
        GraphQLSchema specified = SchemaTransformer.transformSchema(builder.build(), new GraphQLTypeVisitorStub() {
            @Override
            public TraversalControl visitGraphQLScalarType(GraphQLScalarType scalar,
                    TraverserContext<GraphQLSchemaElement> context) {
                String url = URLS.get(scalar.getName());
                if (url == null || url.equals(scalar.getSpecifiedByUrl())) {
                    return TraversalControl.CONTINUE;
                }
                // the URL for introspection (specifiedByURL), the applied directive for the printed SDL
                GraphQLAppliedDirective specifiedBy = Directives.SpecifiedByDirective.toAppliedDirective()
                        .transform(d -> d.argument(GraphQLAppliedDirectiveArgument.newArgument()
                                .name("url").type(Scalars.GraphQLString).valueProgrammatic(url).build()));
                return changeNode(context, scalar.transform(b -> b.specifiedByUrl(url)
                        .replaceAppliedDirectives(List.of(specifiedBy))));
            }
        });
        builder.query(specified.getQueryType())
                .mutation(specified.getMutationType())
                .subscription(specified.getSubscriptionType())
                .codeRegistry(specified.getCodeRegistry())
                .clearAdditionalTypes()
                .additionalTypes(new HashSet<>(specified.getAdditionalTypes()))
                .clearDirectives()
                .additionalDirectives(new HashSet<>(specified.getDirectives()));
    }
}
