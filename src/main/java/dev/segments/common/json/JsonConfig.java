package dev.segments.common.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.segments.common.config.ServiceConfig;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * JSON the way a strict API wants it: unknown properties are errors, numbers are exact decimals (money never
 * goes through floating point), timestamps are ISO-8601 strings, nulls are omitted from responses. Reading is
 * strict about what a client sends: a key twice in one object is an error (not "the last one wins"), an empty or
 * blank string is not read as null or 0 for a number, date or object field, and {@link InputChecks} refuses NUL
 * characters, lone surrogates and dates outside the years 1 to 9999 in every body.
 */
@Singleton
public class JsonConfig implements ObjectMapperCustomizer {

    private final ServiceConfig config;

    JsonConfig(ServiceConfig config) {
        this.config = config;
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
        mapper.getFactory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(config.limits().maxJsonDepth()).build());
        mapper.coercionConfigDefaults()
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                .setAcceptBlankAsEmpty(false);
        mapper.registerModule(InputChecks.module());
    }
}
