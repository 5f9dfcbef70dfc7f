package dev.segments.common.db;

import jakarta.inject.Qualifier;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Qualifies the small reactive {@link io.vertx.mutiny.sqlclient.Pool} kept apart from the main pool (size
 * {@code segments.db.reserved-pool-size}, default 4) for the work that must not wait behind tenant queries:
 * readiness and API key lookups. Inject it as {@code @ReservedPool Pool pool}. It serves short single statements
 * only; never run rule evaluations, imports or other long work on it.
 */
@Qualifier
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD, ElementType.TYPE})
public @interface ReservedPool {
}
