package dev.segments.common.db;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a REST method that only reads although its HTTP method is POST (a preview, a search with a rule in the body),
 * so its reads may go to the read replica like a GET's ({@link ReadConsistency}). Every other POST, PUT, PATCH and
 * DELETE reads from the primary.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ReplicaReads {
}
