package dev.segments.common.error;

import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLException;

/**
 * Recognises a failure caused by losing the database (server killed, restarting, refusing connections) anywhere in
 * an exception's cause chain. Such a request did nothing wrong: it gets {@code 503 /problems/unavailable} with
 * {@code Retry-After}, not a 500. Used by the REST mapper and meant for the GraphQL error mapping too.
 *
 * <ul>
 *   <li>{@link ClosedConnectionException} (reactive client: the connection closed under a query);</li>
 *   <li>Vert.x {@link VertxException} / {@link NoStackTraceThrowable} "Connection is not active now" and
 *       "Pending requests failed to be sent due to connection has been closed";</li>
 *   <li>{@link ConnectException} (refused; Netty's AnnotatedConnectException extends it) and
 *       {@link ClosedChannelException}, {@link java.net.SocketException} (a connection reset by the server);</li>
 *   <li>{@link PgException} or JDBC {@link SQLException} with SQLSTATE 57P01 admin_shutdown, 57P02
 *       crash_shutdown, 57P03 cannot_connect_now, or class 08 (connection exception).</li>
 * </ul>
 */
public final class ConnectionLoss {

    /** Seconds a client is told to wait before retrying ({@code Retry-After}); a restart takes about a second. */
    public static final String RETRY_AFTER_SECONDS = "2";

    private ConnectionLoss() {
    }

    /** Whether {@code e} or one of its causes says the database connection was lost or could not be made. */
    public static boolean isConnectionLoss(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 32; t = t.getCause() == t ? null : t.getCause(), depth++) {
            if (isLoss(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLoss(Throwable t) {
        if (t instanceof ClosedConnectionException || t instanceof ConnectException
                || t instanceof ClosedChannelException || t instanceof java.net.SocketException) {
            return true;
        }
        if (t instanceof PgException pg) {
            return lostState(pg.getSqlState());
        }
        if (t instanceof SQLException sql) {
            return lostState(sql.getSQLState());
        }
        if (t instanceof VertxException || t instanceof NoStackTraceThrowable) {
            String m = t.getMessage();
            return m != null && (m.startsWith("Connection is not active")
                    || m.startsWith("Pending requests failed to be sent due to connection has been closed"));
        }
        return false;
    }

    private static boolean lostState(String state) {
        return state != null && (state.startsWith("08")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"));
    }

    /** The 503 problem for a lost database. */
    public static Problem problem() {
        return ProblemType.UNAVAILABLE.problem("The database is unavailable for a moment; retry after the delay given");
    }
}
