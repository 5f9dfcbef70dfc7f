package dev.segments.common.graphql;

import dev.segments.common.error.ConnectionLoss;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Problems;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;

/**
 * Maps client-caused failures of GraphQL resolvers with {@link Problems#clientProblem}, and a lost database
 * connection to the unavailable problem ({@link ConnectionLoss}), as REST does.
 */
@GraphQLProblems
@Interceptor
@Priority(Interceptor.Priority.APPLICATION)
public class GraphQLProblemInterceptor {

    @AroundInvoke
    Object translate(InvocationContext ctx) throws Exception {
        Object result;
        try {
            result = ctx.proceed();
        } catch (Exception e) {
            Throwable t = translate(e);
            throw t instanceof Exception x ? x : e;
        }
        if (result instanceof Uni<?> uni) {
            return uni.onFailure().transform(GraphQLProblemInterceptor::translate);
        }
        if (result instanceof Multi<?> multi) {
            return multi.onFailure().transform(GraphQLProblemInterceptor::translate);
        }
        return result;
    }

    static Throwable translate(Throwable e) {
        if (ConnectionLoss.isConnectionLoss(e)) {
            return new ProblemException(ProblemType.UNAVAILABLE, ConnectionLoss.problem().detail());
        }
        ProblemException p = Problems.clientProblem(e);
        return p != null ? p : e;
    }
}
