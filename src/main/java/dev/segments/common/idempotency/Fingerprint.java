package dev.segments.common.idempotency;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The fingerprint of a request under an {@code Idempotency-Key}: SHA-256 over the method, the raw path, the raw query,
 * the content type (lower case, without spaces) and then every byte of the body, hashed as the body is read (by the
 * JSON reader, or by a streaming import as it goes), so no body is ever held in memory for it. A request whose
 * endpoint reads no body is fingerprinted by the request line and content type alone.
 */
final class Fingerprint {

    private final MessageDigest digest;
    private Body body;
    private byte[] value;

    Fingerprint(String method, String rawPath, String rawQuery, String contentType) {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String type = contentType == null ? "" : contentType.replace(" ", "").toLowerCase(Locale.ROOT);
        String head = method + "\n" + rawPath + "\n" + (rawQuery == null ? "" : rawQuery) + "\n" + type + "\n";
        digest.update(head.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The body as the endpoint will read it, adding each byte to the fingerprint; {@code progress} runs now and then
     * while bytes arrive (the lease is extended from there), at most once per {@code progressEveryMillis}.
     */
    InputStream wrap(InputStream in, Runnable progress, long progressEveryMillis) {
        body = new Body(in, progress, progressEveryMillis);
        return body;
    }

    /** Whether the wrapped body has been read to its end (true when no body was wrapped). */
    boolean bodyComplete() {
        return body == null || body.ended;
    }

    /** Reads what is left of the wrapped body into the fingerprint (blocking: only on a worker or in memory). */
    void drain() throws IOException {
        if (body != null) {
            byte[] chunk = new byte[8192];
            while (body.read(chunk, 0, chunk.length) >= 0) {
                // hashed by read
            }
        }
    }

    /** The fingerprint; the body read after the first call is not part of it. */
    byte[] value() {
        if (value == null) {
            value = digest.digest();
        }
        return value;
    }

    private final class Body extends FilterInputStream {
        private final Runnable progress;
        private final long everyNanos;
        private long nextProgress;
        boolean ended;

        Body(InputStream in, Runnable progress, long everyMillis) {
            super(in);
            this.progress = progress;
            this.everyNanos = Math.max(1, everyMillis) * 1_000_000L;
            this.nextProgress = System.nanoTime() + everyNanos;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                ended = true;
            } else if (value == null) {
                digest.update((byte) b);
            }
            tick();
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n < 0) {
                ended = true;
            } else if (n > 0 && value == null) {
                digest.update(buffer, offset, n);
            }
            tick();
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // skipped bytes must be hashed too
            byte[] chunk = new byte[(int) Math.min(8192, Math.max(0, n))];
            long skipped = 0;
            while (skipped < n) {
                int r = read(chunk, 0, (int) Math.min(chunk.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int limit) {
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark/reset not supported");
        }

        private void tick() {
            if (progress != null && System.nanoTime() - nextProgress >= 0) {
                nextProgress = System.nanoTime() + everyNanos;
                progress.run();
            }
        }
    }
}
