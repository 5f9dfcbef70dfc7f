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

    /** The service's own meters at /q/metrics (common/metrics/ServiceMetrics). */
    Metrics metrics();

    /** Bulk activity imports (COPY staging) and import jobs (docs/imports.md). */
    Imports imports();

    interface Imports {
        /** Rows staged with one COPY and stored with one set of statements (one transaction) by an activity import. */
        @WithDefault("50000")
        int chunkRows();

        /**
         * Most bytes of lines one chunk of an import (customers or activity) collects before it is stored, whichever
         * of this and its row count ({@code chunk-rows}, {@code segments.limits.import-chunk-size}) comes first: with
         * lines of up to {@code import-max-line-bytes} each, the rows alone would not bound a chunk's memory.
         */
        @WithDefault("16777216")
        int chunkBytes();

        /**
         * Chunks of one request's import (customers or activity) stored at once, each on its own connection, over
         * disjoint customers: 1 or 2 (more is taken as 2). An import job stores its chunks one after another: it
         * records one committed offset per chunk.
         */
        @WithDefault("2")
        int parallelChunks();

        /** Largest upload an import job accepts, in bytes; larger is a 413 problem. */
        @WithDefault("10737418240")
        long maxUploadBytes();

        /** Import jobs one tenant may have running at once (the others wait queued). */
        @WithDefault("1")
        int maxRunningPerTenant();

        /** Import jobs one tenant may have queued or running; one more is a 429 problem. */
        @WithDefault("20")
        int maxPendingPerTenant();

        /** Import jobs this instance runs at once (over all tenants). */
        @WithDefault("2")
        int workers();

        /** How often an idle worker looks for queued jobs (and for jobs whose instance stopped). */
        @WithDefault("2s")
        Duration pollInterval();

        /** A running job whose instance has not renewed its lease for this long is resumed by another instance. */
        @WithDefault("60s")
        Duration lease();

        /**
         * An upload still being received (state receiving) from which no part (1 MiB) has arrived for this long is
         * abandoned: the worker fails it and drops its parts, so it no longer counts as pending; its id may be sent again.
         */
        @WithDefault("5m")
        Duration receiveLease();

        /** Per-line errors a job keeps for GET /imports/{id}/errors (all are counted). */
        @WithDefault("100000")
        int maxStoredErrors();
    }

    interface Metrics {
        /** How often the gauges read from the database (upkeep lag, webhook backlog) are sampled. */
        @WithDefault("15s")
        Duration sampleInterval();
    }

    /** Request rate limits (token buckets) and throttling of failed authentication; see docs/security.md. */
    RateLimit rateLimit();

    interface RateLimit {
        /** Enforce the rate limits below (429 problem with Retry-After and RateLimit headers past them). */
        @WithDefault("true")
        boolean enabled();

        /** Sustained requests per second one API key may send. */
        @WithDefault("100")
        int keyPerSecond();

        /** Burst one API key may send at once (bucket capacity). */
        @WithDefault("200")
        int keyBurst();

        /** Sustained requests per second over all of a tenant's keys (a tenant's own setting overrides it). */
        @WithDefault("200")
        int tenantPerSecond();

        /** Burst over all of a tenant's keys (a tenant's own setting overrides it). */
        @WithDefault("400")
        int tenantBurst();

        /**
         * Failed authentications (an unknown or revoked key) one client address may make per minute; past
         * that, requests with a key from that address get 429 until the budget refills.
         */
        @WithDefault("30")
        int failedAuthPerMinute();

        /** Most client addresses tracked for failed authentication (the idle ones are dropped first). */
        @WithDefault("100000")
        int maxTrackedAddresses();
    }

    /** Live GraphQL subscriptions (membershipChanges). */
    Subscriptions subscriptions();

    interface Subscriptions {
        /** Most open subscriptions on one WebSocket connection. */
        @WithDefault("20")
        int maxPerConnection();

        /** Most open subscriptions of one tenant on one instance. */
        @WithDefault("200")
        int maxPerTenant();

        /** How often the instance reads the change feed for all its subscribers (one statement per read). */
        @WithDefault("500ms")
        Duration pollInterval();

        /** How often the API keys of open subscriptions are checked; a revoked key's subscriptions end. */
        @WithDefault("5s")
        Duration keyCheckInterval();

        /**
         * How long a subscription socket opened without a key may take to authenticate with the key in its
         * {@code connection_init} payload before it is closed.
         */
        @WithDefault("10s")
        Duration authTimeout();
    }

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

        /**
         * Lower bound of a rule's time-driven full refresh interval (a thousandth of its shortest window). Time
         * events keep membership exact per customer; the full refresh is a backstop (docs/live-membership.md).
         */
        @WithDefault("6h")
        Duration minDriftInterval();

        /** Upper bound of a rule's time-driven full refresh interval. */
        @WithDefault("24h")
        Duration maxDriftInterval();

        /** How often the time-event tick re-evaluates the customers whose due instant passed. */
        @WithDefault("1s")
        Duration timeEventsInterval();

        /**
         * How old a tenant's oldest passed due instant must be before a tick takes the tenant's customers (all of
         * those due at the tick's now, in batches): the time events of up to this long are then processed in one
         * batch instead of one small batch per second. Reads stay exact at now meanwhile (they evaluate the due
         * customers themselves, up to {@code read-due-limit}); what waits is the time-driven changes' entry in the
         * change feed and their webhooks, by up to this delay plus the interval (docs/live-membership.md, "The delay").
         */
        @WithDefault("30s")
        Duration timeEventsDelay();

        /** Most customers per time-event batch (one transaction each; a tick runs batches until none is due). */
        @WithDefault("10000")
        int timeEventsBatch();

        /**
         * Most due customers (time events not yet processed) a read of a clock-reading saved segment evaluates itself
         * to answer exactly at now from the materialization; with more (the tick stopped or far behind), or while
         * the tenant is marked for repair, counts and member pages are evaluated live (docs/live-membership.md,
         * "Reads exact at now").
         */
        @WithDefault("1000")
        int readDueLimit();

        /**
         * How long a write's journaled change ({@code customer_change}) waits for the write's own follow-up before
         * the sweep, which runs on {@code scheduler-interval}, follows it instead (the process stopped between the
         * write's commit and its membership update, or the update failed): after a crash, the written customers'
         * membership is current within this plus the interval (docs/live-membership.md, "Writes that outlive a
         * crash"). Longer than a write's follow-up normally takes, which waits for the tenant's membership lock.
         */
        @WithDefault("30s")
        Duration changesGrace();
    }

    /** Analytics models (RFM, activity status; see docs/analytics.md). */
    Analytics analytics();

    interface Analytics {
        /** Run each tenant's models on the schedule of their configuration (recomputeEvery). */
        @WithDefault("true")
        boolean schedulerEnabled();

        /** How often the scheduler looks for models whose next run is due. */
        @WithDefault("1m")
        Duration schedulerInterval();

        /** Statement timeout of a run (it reads the tenant's whole base). */
        @WithDefault("5m")
        Duration statementTimeout();

        /** Most customers per membership update after a run (the changed customers are updated in chunks). */
        @WithDefault("5000")
        int membershipChunk();
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

        /** Accept and call plain http:// webhook URLs; false (the default) requires https. */
        @WithDefault("false")
        boolean allowHttp();

        /**
         * Non-public webhook targets that are allowed all the same: CIDRs (10.0.0.0/8), addresses (::1) or host
         * names (hooks.internal, which may then resolve to any address). Default none: only public addresses.
         */
        Optional<java.util.List<String>> allowedPrivateTargets();
    }

    /** Idempotency-Key records of POST requests (see IdempotencyFilters). */
    Idempotency idempotency();

    interface Idempotency {
        /**
         * How long a first request holds its key: a retry within it gets 409 with Retry-After, a retry after it
         * (the first request died) takes the key over and runs the request again. Above the longest request
         * (membership statement timeout 5m + margin); extended while a streamed body is still being read.
         */
        @WithDefault("6m")
        Duration lease();

        /** How long a record is kept and its response replayed; older records are deleted and never replayed. */
        @WithDefault("24h")
        Duration retention();

        /** How often this instance deletes records older than the retention (one DELETE); 0 turns the timer off. */
        @WithDefault("10m")
        Duration cleanupInterval();
    }

    /** Reports (PDF, CSV, JSON) and report jobs (docs/insight.md, "Reports"). */
    Reports reports();

    interface Reports {
        /** How long a finished report job and its file are kept; GET answers 404 after it. */
        @WithDefault("24h")
        Duration retention();

        /** The largest result a job stores (bytes); a larger one fails the job with too_large. */
        @WithDefault("20000000")
        int maxBytes();

        /** A queued or running job whose progress has not moved for this long (its instance stopped) is run again. */
        @WithDefault("10m")
        Duration staleAfter();

        /** How many times a job is run in all when its instance stops under it (then it fails {@code interrupted}). */
        @WithDefault("3")
        int maxAttempts();

        /** How often this instance deletes expired jobs and takes over stale ones; 0 turns the timer off. */
        @WithDefault("5m")
        Duration cleanupInterval();

        /** Queued or running jobs one tenant may have at a time; one more is 429. */
        @WithDefault("4")
        int maxActivePerTenant();
    }

    interface Query {
        /** Statement timeout of every rule evaluation; a query that runs longer is a 503 problem. */
        @WithDefault("30s")
        Duration statementTimeout();

        /** Most rule evaluations one HTTP request (e.g. a GraphQL query with many aliases) runs at the same time. */
        @WithDefault("4")
        int maxConcurrentPerRequest();

        /** Most rule evaluations one tenant runs at the same time in this instance (the limit is per instance). */
        @WithDefault("8")
        int maxConcurrentPerTenant();

        /**
         * Concurrent rule evaluations on this instance, over all tenants. Keep it below the main pool's size
         * ({@code DB_POOL_SIZE}, 20) so that plain reads and writes always find a connection.
         */
        @WithDefault("10")
        int maxConcurrentTotal();

        /** How long a rule evaluation waits for a free slot before the request gets a 503 unavailable problem. */
        @WithDefault("2s")
        Duration maxWait();
    }

    /** GraphQL operation limits, checked before execution (see README, GraphQL). */
    Graphql graphql();

    interface Graphql {
        /** Most fields an operation may select, counted after expanding every fragment spread. */
        @WithDefault("1000")
        int maxFields();

        /** Deepest nesting of fields, counted after fragment expansion. */
        @WithDefault("10")
        int maxDepth();

        /** Highest estimated cost: each field 1, lists multiplied by their page size, rule evaluations weighted. */
        @WithDefault("20000")
        long maxCost();

        /** Cost of one field that evaluates rules (previewSegment, customers with a rule, count, members, totalCount, a customer's segments, refreshSegment, refreshSegments). */
        @WithDefault("50")
        int ruleEvaluationCost();

        /** Items assumed for a list without a page size argument (e.g. segments). */
        @WithDefault("10")
        int assumedListSize();

        /** Most grammar tokens in one GraphQL document (the parser stops after that many). */
        @WithDefault("5000")
        int maxTokens();

        /** Most characters in one GraphQL document. */
        @WithDefault("100000")
        int maxCharacters();

        /** Parsed and validated documents kept for reuse, by query text. */
        @WithDefault("1000")
        int documentCacheSize();
    }

    /** Connections kept apart from the main pool. */
    Db db();

    interface Db {
        /** Size of the reserved pool (qualifier {@code @ReservedPool}) used by readiness and authentication. */
        @WithDefault("4")
        int reservedPoolSize();

        /**
         * A streaming replica for heavy reads ({@code DB_READ_URL}, e.g. CloudNativePG's {@code -ro} service); unset,
         * every read goes to the primary. See {@code common.db.ReadPools} and docs/scaling.md.
         */
        Optional<String> readUrl();

        /** The replica's user ({@code DB_READ_USER}); the primary's when unset. */
        Optional<String> readUser();

        /** The replica's password ({@code DB_READ_PASSWORD}); the primary's when unset. */
        Optional<String> readPassword();

        /** Size of the replica pool ({@code DB_READ_POOL_SIZE}). */
        @WithDefault("20")
        int readPoolSize();

        /** Past this replication lag ({@code DB_READ_MAX_LAG}) reads go to the primary until the replica catches up. */
        @WithDefault("5s")
        Duration readMaxLag();

        /** How often the replica's lag is probed ({@code DB_READ_PROBE_INTERVAL}). */
        @WithDefault("1s")
        Duration readProbeInterval();
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

        /**
         * Rows written per statement (one transaction) by the bulk customer import, unless their lines reach
         * {@code segments.imports.chunk-bytes} first. 10,000 rather than 1,000: a chunk's fixed cost (its commit,
         * the journal row, the follow-up's statements) was paid ten times as often (bench/analysis.md).
         */
        @WithDefault("10000")
        int importChunkSize();

        /** Most per-line errors listed in an import report (all are counted). */
        @WithDefault("1000")
        int importMaxReportedErrors();

        /** Longest line (NDJSON) or record (CSV) of a bulk import in bytes; a longer one is a per-line error. */
        @WithDefault("1048576")
        int importMaxLineBytes();

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
