package dev.segments.common.concurrent;

import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Lanes of a bulk import: each lane runs its work (a chunk stored on the lane's own connection) one piece after
 * another, in the order given, and the lanes run beside each other and beside the thread that reads the body. With
 * one lane the work runs at once on the calling thread, as without lanes. A piece's failure is thrown to the caller by
 * the lane's next {@link #submit} or by {@link #drain}. Not thread-safe: one reading thread submits.
 */
public final class Lanes implements AutoCloseable {

    /** A piece of a lane's work. */
    @FunctionalInterface
    public interface Work {
        void run() throws SQLException;
    }

    private final ExecutorService threads;
    private final Future<?>[] running;

    public Lanes(int count, String threadName) {
        running = new Future<?>[count];
        threads = count == 1 ? null : Executors.newFixedThreadPool(count, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The lanes of a request's import for the configured {@code segments.imports.parallel-chunks}: 1 or 2 (the
     * activity import's LaneRouter is written for two; more were not measured on these 2-core machines).
     */
    public static int forRequest(int configured) {
        return Math.clamp(configured, 1, 2);
    }

    /** The lane of a key's hash among {@code count} lanes (a customer's lines always go to one lane). */
    public static int of(int hash, int count) {
        return Math.floorMod(hash ^ (hash >>> 16), count);
    }

    /** Runs {@code work} in lane {@code lane} once its previous piece has ended (at once with one lane). */
    public void submit(int lane, Work work) throws SQLException {
        if (threads == null) {
            work.run();
            return;
        }
        await(running[lane]);
        running[lane] = threads.submit(() -> {
            work.run();
            return null;
        });
    }

    /** Waits for every lane's piece; the first failure is thrown once all have ended. */
    public void drain() throws SQLException {
        SQLException sql = null;
        RuntimeException runtime = null;
        for (int i = 0; i < running.length; i++) {
            try {
                await(running[i]);
            } catch (SQLException e) {
                sql = sql == null ? e : sql;
            } catch (RuntimeException e) {
                runtime = runtime == null ? e : runtime;
            }
            running[i] = null;
        }
        if (sql != null) {
            throw sql;
        }
        if (runtime != null) {
            throw runtime;
        }
    }

    /** {@link #drain()} after a failure that is reported otherwise: every lane has ended when it returns. */
    public void drainQuietly() {
        try {
            drain();
        } catch (SQLException | RuntimeException ignored) {
            // the caller reports its own failure
        }
    }

    /** Waits for the lanes and stops their threads. */
    @Override
    public void close() {
        drainQuietly();
        if (threads != null) {
            threads.shutdownNow();
        }
    }

    private static void await(Future<?> f) throws SQLException {
        if (f == null) {
            return;
        }
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a lane of the import was working", e);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case SQLException s -> throw s;
                case RuntimeException r -> throw r;
                case Error err -> throw err;
                default -> throw new IllegalStateException(e.getCause());
            }
        }
    }
}
