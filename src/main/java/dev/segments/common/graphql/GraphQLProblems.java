package dev.segments.common.graphql;

import jakarta.interceptor.InterceptorBinding;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@code @GraphQLApi} class: failures a client caused (database value errors, statement timeouts, unreadable
 * values) become the same {@link dev.segments.common.error.ProblemException} as in REST, so the GraphQL error
 * carries the problem's type, status, code and pointer instead of "System error".
 */
@InterceptorBinding
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface GraphQLProblems {
}
