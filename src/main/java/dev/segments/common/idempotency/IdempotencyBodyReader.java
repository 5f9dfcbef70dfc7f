package dev.segments.common.idempotency;

import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;

/**
 * Adds the request body to the {@link Fingerprint} of a request under an {@code Idempotency-Key} as the endpoint
 * reads it. For the holder of the key the body passes through to the endpoint (a JSON body is read to its end
 * here; a streamed {@code InputStream} body is hashed as the endpoint consumes it). For a retry of a completed
 * request the body is read to its end and discarded, then the stored response is replayed or a 422 answered: the
 * endpoint never runs.
 */
@Provider
public class IdempotencyBodyReader implements ReaderInterceptor {

    private static final Logger LOG = Logger.getLogger(IdempotencyBodyReader.class);

    private final IdempotencyStore store;

    IdempotencyBodyReader(IdempotencyStore store) {
        this.store = store;
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (!(context.getProperty(IdempotencyFilters.STATE_PROPERTY) instanceof IdempotencyFilters.State state)) {
            return context.proceed();
        }
        Fingerprint fingerprint = state.fingerprint;
        if (state.owner != null) {
            long every = Math.max(1, store.lease().toMillis() / 3);
            context.setInputStream(fingerprint.wrap(context.getInputStream(), () -> store
                    .renew(state.tenantId, state.key, state.owner)
                    .subscribe().with(ok -> { }, failure -> LOG.debug("lease renewal failed", failure)), every));
            Object entity = null;
            try {
                entity = context.proceed();
                return entity;
            } finally {
                if (!(entity instanceof InputStream)) {
                    drainQuietly(fingerprint); // the rest of a body read whole (or left by a parse error)
                }
            }
        }
        if (state.completed != null) {
            fingerprint.wrap(context.getInputStream(), null, 0);
            fingerprint.drain();
            throw new IdempotencyFilters.Replay(IdempotencyFilters.outcome(state.completed, fingerprint.value()));
        }
        return context.proceed();
    }

    private static void drainQuietly(Fingerprint fingerprint) {
        try {
            fingerprint.drain();
        } catch (IOException e) {
            LOG.debug("could not read the rest of the body", e);
        }
    }
}
