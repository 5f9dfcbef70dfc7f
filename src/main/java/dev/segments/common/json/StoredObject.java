package dev.segments.common.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;

/**
 * A JSON object as PostgreSQL wrote it (a {@code jsonb} column's text, which is always valid JSON): written into a
 * response as it is, parsed only when something reads its members ({@link #tree}). A page of 50 customers parsed
 * and wrote their attributes again, a seventh of a members request's JVM time. The text is jsonb's (keys in
 * jsonb's order, a space after each colon and comma); the values are those the tree would write.
 */
@JsonSerialize(using = StoredObject.Writer.class)
public final class StoredObject {

    private final String text;
    private ObjectNode tree;

    private StoredObject(String text) {
        this.text = text;
    }

    /** The stored text of a JSON object. */
    public static StoredObject of(String jsonObjectText) {
        return new StoredObject(jsonObjectText);
    }

    /** The object's members, parsed on the first call (the same tree after it). */
    public synchronized ObjectNode tree() {
        if (tree == null) {
            tree = (ObjectNode) StoredJson.tree(text);
        }
        return tree;
    }

    /** The text as stored. */
    public String text() {
        return text;
    }

    /** Equal texts: jsonb writes equal objects as the same text. */
    @Override
    public boolean equals(Object o) {
        return o instanceof StoredObject other && text.equals(other.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }

    /** Writes the stored text as the value. */
    public static final class Writer extends StdSerializer<StoredObject> {

        public Writer() {
            super(StoredObject.class);
        }

        @Override
        public void serialize(StoredObject value, JsonGenerator g, SerializerProvider p) throws IOException {
            g.writeRawValue(value.text);
        }
    }
}
