package dev.segments.common.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/**
 * A JSON value the service refuses to store or read as it is (a NUL character, a lone surrogate, a date outside
 * years 1 to 9999). {@code code} is the problem's field-error code; {@code innerPointer} points inside the value
 * where the value is a JSON tree (Jackson adds the path up to the value itself as the exception unwinds).
 */
public final class InvalidTextException extends MismatchedInputException {

    private final String code;
    private final String innerPointer;

    InvalidTextException(JsonParser p, String code, String message, String innerPointer) {
        super(p, message);
        this.code = code;
        this.innerPointer = innerPointer;
    }

    public String code() {
        return code;
    }

    public String innerPointer() {
        return innerPointer;
    }
}
