package dev.segments.common.http;

import dev.segments.common.error.ProblemException;
import dev.segments.common.json.InputChecks;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.ext.ParamConverter;
import jakarta.ws.rs.ext.ParamConverterProvider;
import jakarta.ws.rs.ext.Provider;

import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Date-time query parameters ({@code asOf}, {@code at}, {@code from}, {@code to}): ISO 8601 with an offset, years 1
 * to 9999, else a 422 problem naming the parameter, before the endpoint runs (so a CSV export never starts
 * streaming with a date the database cannot take).
 */
@Provider
public class DateParams implements ParamConverterProvider {

    @Override
    @SuppressWarnings("unchecked")
    public <T> ParamConverter<T> getConverter(Class<T> rawType, Type genericType, Annotation[] annotations) {
        if (rawType != OffsetDateTime.class) {
            return null;
        }
        String name = nameOf(annotations);
        return (ParamConverter<T>) new ParamConverter<OffsetDateTime>() {
            @Override
            public OffsetDateTime fromString(String value) {
                return parse(value, name);
            }

            @Override
            public String toString(OffsetDateTime value) {
                return value.toString();
            }
        };
    }

    /** A date-time parameter, checked; null stays null. */
    public static OffsetDateTime parse(String value, String name) {
        if (value == null) {
            return null;
        }
        OffsetDateTime t;
        try {
            t = OffsetDateTime.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw ProblemException.validation(name, "invalid_date",
                    name + " must be a date-time in ISO 8601 form with an offset, e.g. 2026-01-31T12:00:00Z");
        }
        return requireInRange(t, name);
    }

    /** The value when its year is within 1 to 9999, else a 422 problem naming the parameter. */
    public static OffsetDateTime requireInRange(OffsetDateTime t, String name) {
        if (t != null && !InputChecks.yearInRange(t)) {
            throw ProblemException.validation(name, "out_of_range",
                    name + " must be a date within the years " + InputChecks.MIN_YEAR + " to " + InputChecks.MAX_YEAR);
        }
        return t;
    }

    private static String nameOf(Annotation[] annotations) {
        if (annotations != null) {
            for (Annotation a : annotations) {
                if (a instanceof QueryParam q) {
                    return q.value();
                }
                if (a instanceof PathParam p) {
                    return p.value();
                }
            }
        }
        return "date";
    }
}
