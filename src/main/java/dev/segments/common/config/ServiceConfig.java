package dev.segments.common.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Settings of the service itself (the {@code segments.*} keys); Quarkus keys stay in application.properties. */
@ConfigMapping(prefix = "segments")
public interface ServiceConfig {

    /** The admin key that creates tenants and API keys. When unset, one is generated at start and logged. */
    Optional<String> adminKey();

    /** The embedded PostgreSQL used when no DB_URL is configured (read by Main before Quarkus starts). */
    EmbeddedDb embeddedDb();

    /** Request and batch limits. */
    Limits limits();

    /** The demo tenant created on first start with the embedded database. */
    Demo demo();

    /** Rule evaluation. */
    Query query();

    /** Live membership of dynamic segments. */
    Membership membership();

    interface Membership {
        /** Statement timeout of membership updates and full refreshes (a refresh scans the whole base). */
        @WithDefault("5m")
        Duration statementTimeout();

        /** Run the time-driven refresh of rules with relative windows. */
        @WithDefault("true")
        boolean schedulerEnabled();

        /** How often the scheduler looks for segments whose time-driven refresh is due. */
        @WithDefault("15s")
        Duration schedulerInterval();

        /** Lower bound of a rule's time-driven refresh interval (a thousandth of its shortest window). */
        @WithDefault("1m")
        Duration minDriftInterval();

        /** Upper bound of a rule's time-driven refresh interval. */
        @WithDefault("1h")
        Duration maxDriftInterval();
    }

    /** Webhook deliveries of membership changes (see docs/webhooks.md). */
    Webhooks webhooks();

    interface Webhooks {
        /** Run the dispatcher on a timer in this process; with false, nothing is delivered by this instance. */
        @WithDefault("true")
        boolean enabled();

        /** How often the dispatcher looks for new changes and due deliveries. */
        @WithDefault("1s")
        Duration pollInterval();

        /** Most changes in one delivery. */
        @WithDefault("500")
        int batchSize();

        /** Most deliveries sent at the same time by one instance. */
        @WithDefault("32")
        int maxInFlight();

        /** Time a receiver has to answer one delivery (connecting, sending, and reading the response). */
        @WithDefault("10s")
        Duration requestTimeout();

        /**
         * Extra time on top of the request timeout before a claimed delivery whose outcome was never recorded
         * (the instance stopped mid-call) is sent again.
         */
        @WithDefault("30s")
        Duration leaseMargin();

        /** Attempts before a delivery is marked failed (it can then be retried by hand). */
        @WithDefault("15")
        int maxAttempts();

        /** Wait after the first failed attempt; it doubles after each further failure. */
        @WithDefault("1s")
        Duration backoffBase();

        /** The longest wait between two attempts. */
        @WithDefault("1h")
        Duration backoffMax();
    }

    interface Query {
        /** Statement timeout of every rule evaluation; a query that runs longer is a 503 problem. */
        @WithDefault("30s")
        Duration statementTimeout();
    }

    interface EmbeddedDb {
        /** Data directory of the embedded PostgreSQL ({@code EMBEDDED_DB_DIR}); survives restarts. */
        @WithDefault("./data")
        String dir();

        /** Port of the embedded PostgreSQL on localhost ({@code EMBEDDED_DB_PORT}); 0 picks a free one. */
        @WithDefault("0")
        int port();

        /** Set by Main to true while the embedded PostgreSQL is the database in use. */
        @WithDefault("false")
        boolean active();
    }

    interface Limits {
        /** Largest JSON request body in bytes (bulk import endpoints excepted). */
        @WithDefault("1048576")
        long maxJsonBytes();

        /**
         * Longest request URI (path and query) in characters; longer is a 414 problem. Keep it below
         * quarkus.http.limits.max-initial-line-length, where the HTTP codec answers with an empty 414.
         */
        @WithDefault("4096")
        int maxUriLength();

        /**
         * Largest total size of the request headers in bytes; larger is a 431 problem. Keep it below
         * quarkus.http.limits.max-header-size, where the HTTP codec answers with an empty 431.
         */
        @WithDefault("20480")
        int maxHeaderBytes();

        /** Deepest nesting of arrays and objects in a JSON request body (REST and GraphQL, variables included). */
        @WithDefault("64")
        int maxJsonDepth();

        /** Most items in one batch ingest request. */
        @WithDefault("1000")
        int maxBatchItems();

        /** Rows written per statement by the bulk customer import. */
        @WithDefault("1000")
        int importChunkSize();

        /** Most per-line errors listed in an import report (all are counted). */
        @WithDefault("1000")
        int importMaxReportedErrors();

        /** Largest page a list endpoint returns. */
        @WithDefault("1000")
        int maxPageSize();

        /** Page size when the client asks for none. */
        @WithDefault("50")
        int defaultPageSize();
    }

    interface Demo {
        /** Create a demo tenant and key on first start when the embedded database is in use. */
        @WithDefault("true")
        boolean enabled();

        /** Also load a small realistic dataset into the demo tenant (also: start with --demo-data). */
        @WithDefault("false")
        boolean data();
    }
}
