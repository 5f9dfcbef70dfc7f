package dev.segments.common.tenancy;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a REST resource class that only the admin key may call. Every other resource method needs a
 * tenant key. {@link EndpointAuthorization} enforces both on the matched method, so no spelling of a path
 * (matrix parameters, encoded characters, dot segments, case) can move a request from one side to the other.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface AdminOnly {
}
