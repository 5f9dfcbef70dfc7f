package dev.segments.common.graphql;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemType;
import graphql.ErrorType;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.execution.AbortExecutionException;
import graphql.execution.ExecutionContext;
import graphql.execution.instrumentation.InstrumentationContext;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.SimplePerformantInstrumentation;
import graphql.execution.instrumentation.parameters.InstrumentationExecuteOperationParameters;
import graphql.execution.instrumentation.parameters.InstrumentationValidationParameters;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.execution.preparsed.PreparsedDocumentProvider;
import graphql.language.SourceLocation;
import graphql.parser.ParserOptions;
import graphql.validation.ValidationError;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.graphql.spi.EventingService;
import org.eclipse.microprofile.config.ConfigProvider;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Bounds every GraphQL operation before it runs (registered with SmallRye GraphQL as an {@link EventingService}
 * through {@code META-INF/services}):
 * <ul>
 *   <li>the parser stops after {@code segments.graphql.max-tokens} tokens and {@code max-characters} characters;</li>
 *   <li>before validation (which expands fragments), {@link OperationBudget#checkDocument} bounds the fields and
 *       depth of every operation and fragment after fragment expansion, in time linear in the document;</li>
 *   <li>before execution, {@link OperationBudget#cost} bounds the estimated cost of the operation with its
 *       variables (list sizes from {@code first}, rule evaluations and job starts weighted).</li>
 * </ul>
 * A refusal is a GraphQL error whose extensions carry {@code type} /problems/query-too-complex, {@code status}
 * 400 and a stable {@code code} (too_many_fields, too_deep, too_costly, fragment_cycle). A document over the parser
 * limits is a syntax error, which SmallRye GraphQL answers itself, before graphql-java runs, as "Unparseable input
 * document" (no type or code: SmallRye offers no hook there).
 *
 * <p>SmallRye GraphQL 2.17 offers no way to add an instrumentation to its own chain, so this one replaces it:
 * its depth and complexity instrumentations are replaced by the checks above (configured by
 * {@code segments.graphql.*}, not {@code quarkus.smallrye-graphql.instrumentation-*}), and its query cache by
 * {@link DocumentCache} (valid documents by query text).
 */
public class OperationLimits implements EventingService {

    @Override
    public String getConfigKey() {
        return null; // always on
    }

    @Override
    public GraphQL.Builder beforeGraphQLBuild(GraphQL.Builder builder) {
        ServiceConfig config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(ServiceConfig.class);
        ServiceConfig.Graphql g = config.graphql();
        ParserOptions.setDefaultOperationParserOptions(ParserOptions.getDefaultOperationParserOptions()
                .transform(b -> b.maxTokens(g.maxTokens()).maxCharacters(g.maxCharacters())));
        OperationBudget.Limits limits = new OperationBudget.Limits(g.maxFields(), g.maxDepth(), g.maxCost(),
                g.ruleEvaluationCost(), g.assumedListSize(), config.limits().defaultPageSize(), config.limits().maxPageSize(),
                OperationBudget.Limits.jobCost(g.maxCost(), config.reports().maxActivePerTenant()));
        return builder.instrumentation(new BudgetInstrumentation(limits))
                .preparsedDocumentProvider(new DocumentCache(g.documentCacheSize()));
    }

    /** The checks, at the two points graphql-java offers: before validation and before executing the operation. */
    static final class BudgetInstrumentation extends SimplePerformantInstrumentation {

        private final OperationBudget.Limits limits;

        BudgetInstrumentation(OperationBudget.Limits limits) {
            this.limits = limits;
        }

        @Override
        public InstrumentationContext<List<ValidationError>> beginValidation(InstrumentationValidationParameters parameters,
                                                                             InstrumentationState state) {
            try {
                OperationBudget.checkDocument(parameters.getDocument(), parameters.getSchema(), limits,
                        parameters.getExecutionInput().getVariables());
            } catch (OperationBudget.LimitExceeded e) {
                throw refusal(e);
            }
            return null;
        }

        @Override
        public InstrumentationContext<ExecutionResult> beginExecuteOperation(InstrumentationExecuteOperationParameters parameters,
                                                                             InstrumentationState state) {
            ExecutionContext ec = parameters.getExecutionContext();
            long cost;
            try {
                cost = OperationBudget.cost(ec.getOperationDefinition(), ec.getFragmentsByName(), ec.getGraphQLSchema(),
                        limits, ec.getCoercedVariables().toMap());
            } catch (OperationBudget.LimitExceeded e) {
                throw refusal(e);
            }
            if (cost > limits.maxCost()) {
                throw refusal(new OperationBudget.LimitExceeded("too_costly", "The operation's estimated cost (complexity) is "
                        + cost + "; the limit is " + limits.maxCost()
                        + ". Ask for smaller pages (first), fewer aliases or fewer rule evaluations", cost, limits.maxCost()));
            }
            if (ec.getOperationDefinition().getOperation() == graphql.language.OperationDefinition.Operation.QUERY) {
                // a query only reads: its heavy reads may go to the read replica (a mutation's stay on the primary)
                dev.segments.common.db.ReadPools.allowReplica();
            }
            return null;
        }

        private static AbortExecutionException refusal(OperationBudget.LimitExceeded e) {
            Map<String, Object> limit = new LinkedHashMap<>();
            if (e.limit() > 0) {
                limit.put("limit", e.limit());
                limit.put("value", e.value());
            }
            return new AbortExecutionException(List.of(new LimitError(ProblemType.QUERY_TOO_COMPLEX, e.code(),
                    e.getMessage(), null, ErrorType.ValidationError, limit)));
        }
    }

    /** A refusal as a GraphQL error with the problem's type, status and code in its extensions. */
    record LimitError(ProblemType type, String code, String message, List<SourceLocation> locations,
                      ErrorType errorType, Map<String, Object> more) implements GraphQLError {

        @Override
        public String getMessage() {
            return message;
        }

        @Override
        public List<SourceLocation> getLocations() {
            return locations;
        }

        @Override
        public ErrorType getErrorType() {
            return errorType;
        }

        @Override
        public Map<String, Object> getExtensions() {
            Map<String, Object> extensions = new LinkedHashMap<>();
            extensions.put("type", type.uri());
            extensions.put("status", type.status());
            extensions.put("code", code);
            if (more != null) {
                extensions.putAll(more);
            }
            return extensions;
        }
    }

    /** Valid documents by query text (what SmallRye's own query cache did), so repeated queries parse once. */
    static final class DocumentCache implements PreparsedDocumentProvider {

        private final Cache<String, PreparsedDocumentEntry> cache;

        DocumentCache(int size) {
            this.cache = Caffeine.newBuilder().maximumSize(size).build();
        }

        @Override
        public CompletableFuture<PreparsedDocumentEntry> getDocumentAsync(ExecutionInput input,
                                                                          Function<ExecutionInput, PreparsedDocumentEntry> parseAndValidate) {
            PreparsedDocumentEntry entry = cache.getIfPresent(input.getQuery());
            if (entry == null) {
                entry = parseAndValidate.apply(input);
                if (!entry.hasErrors()) {
                    cache.put(input.getQuery(), entry);
                }
            }
            return CompletableFuture.completedFuture(entry);
        }
    }
}
