package dev.segments.customer.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits an import body into records as bytes, before any decoding, so that one bad record (invalid UTF-8, too
 * long, an unclosed quote) is reported by line and the next record is read as if nothing happened. An NDJSON
 * record is one line; a CSV record ends at a line break outside a quoted cell (RFC 4180: a cell that starts with
 * {@code "} runs to the next {@code "} not doubled, and may span lines). Quotes, commas and line breaks are
 * ASCII, which never occurs inside a multi-byte UTF-8 sequence, so framing on bytes is exact. The cells themselves
 * are parsed by Jackson; this class only decides where each record starts and ends. At most {@code maxBytes} of a
 * record are kept: a longer one is skipped to its end and reported as too long, so memory stays bounded.
 */
public final class ImportRecords {

    /** One record: its first and last physical line (1-based), its text, or why it has none. */
    public record Rec(long firstLine, long lastLine, String text, Defect defect, String detail) {
        public boolean blank() {
            return defect == null && text.isBlank();
        }
    }

    public enum Defect { TOO_LONG, INVALID_UTF8, UNCLOSED_QUOTE }

    private enum Quote { CELL_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED }

    private final InputStream in;
    private final boolean csv;
    private final int maxBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private int pos;
    private int limit;
    private boolean eof;
    private byte[] record = new byte[1024];
    private long line = 1;
    private boolean first = true;
    /** Bytes of the body read into the buffer so far (including the offset it started at). */
    private long read;

    public ImportRecords(InputStream in, boolean csv, int maxBytes) {
        this(in, csv, maxBytes, 0, 1);
    }

    /**
     * Records of a body read from {@code offset} on (a resumed import: the stream starts there), the first of them
     * on line {@code line}. A body resumed past its start has no byte order mark.
     */
    public ImportRecords(InputStream in, boolean csv, int maxBytes, long offset, long line) {
        this.in = in;
        this.csv = csv;
        this.maxBytes = maxBytes;
        this.read = offset;
        this.line = line;
        this.first = offset == 0;
    }

    /** The byte offset in the body just after the last record returned (where a resumed import starts). */
    public long offset() {
        return read - (limit - pos);
    }

    /** The line the next record starts on. */
    public long line() {
        return line;
    }

    /** The next record, or null at the end of the body. */
    public Rec next() {
        if (!fill()) {
            return null;
        }
        long firstLine = line;
        int length = 0;
        boolean tooLong = false;
        Quote quote = Quote.CELL_START;
        boolean ended = false;
        while (fill()) {
            byte b = buffer[pos++];
            if (b == '\n') {
                line++;
                if (quote != Quote.QUOTED) {
                    ended = true;
                    break;
                }
            }
            if (csv) {
                quote = switch (quote) {
                    case CELL_START -> b == '"' ? Quote.QUOTED : b == ',' || b == ' ' || b == '\t' ? Quote.CELL_START
                            : Quote.UNQUOTED;
                    case UNQUOTED -> b == ',' ? Quote.CELL_START : Quote.UNQUOTED;
                    case QUOTED -> b == '"' ? Quote.QUOTE_IN_QUOTED : Quote.QUOTED;
                    case QUOTE_IN_QUOTED -> b == '"' ? Quote.QUOTED : b == ',' ? Quote.CELL_START : Quote.UNQUOTED;
                };
            }
            if (length < maxBytes) {
                if (length == record.length) {
                    record = Arrays.copyOf(record, Math.min(maxBytes, record.length * 2));
                }
                record[length++] = b;
            } else {
                tooLong = true;
            }
        }
        long lastLine = ended ? line - 1 : line;
        if (csv && quote == Quote.QUOTED) {
            return new Rec(firstLine, lastLine, null, Defect.UNCLOSED_QUOTE, "the quoted cell opened on line "
                    + firstLine + " is never closed (the record runs to the end of the body, line " + lastLine + ")");
        }
        if (tooLong) {
            return new Rec(firstLine, lastLine, null, Defect.TOO_LONG,
                    "the line is longer than " + maxBytes + " bytes");
        }
        if (length > 0 && record[length - 1] == '\r') {
            length--;
        }
        int start = 0;
        if (first && length >= 3 && (record[0] & 0xFF) == 0xEF && (record[1] & 0xFF) == 0xBB
                && (record[2] & 0xFF) == 0xBF) {
            start = 3; // a UTF-8 byte order mark (spreadsheet exports write one)
        }
        first = false;
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.wrap(record, start, length - start);
        CharBuffer chars = CharBuffer.allocate(length - start);
        CoderResult result = decoder.decode(bytes, chars, true);
        if (result.isError()) {
            return new Rec(firstLine, lastLine, null, Defect.INVALID_UTF8,
                    "byte " + (bytes.position() - start + 1) + " of the line is not valid UTF-8");
        }
        decoder.flush(chars);
        return new Rec(firstLine, lastLine, chars.flip().toString(), null, null);
    }

    /** Whether a byte is available, reading more of the body if needed. */
    private boolean fill() {
        if (pos < limit) {
            return true;
        }
        if (eof) {
            return false;
        }
        try {
            int n;
            do {
                n = in.read(buffer);
            } while (n == 0);
            if (n < 0) {
                eof = true;
                return false;
            }
            pos = 0;
            limit = n;
            read += n;
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
