//! `GET /metrics`: what operators watch, in the Prometheus text format —
//! requests and their latency by operation type, the response cache's hits,
//! misses and errors, rate-limit refusals, live subscriptions, the
//! database pool, and mail: the outbox backlog, deliveries and digests.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::{DatabaseBackend, DatabaseConnection};

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    rate_limited: IntCounter,
    cache: IntCounterVec,
    cache_version_reads: IntCounter,
    /// Live subscriptions open now.
    pub subscriptions: IntGauge,
    pool: IntGaugeVec,
    outbox: IntGaugeVec,
    sql_statements: IntCounter,
    deliveries: IntCounterVec,
    digests: IntCounterVec,
}

/// The response cache's counters.
#[derive(Clone)]
pub struct CacheCounters {
    pub hits: IntCounter,
    pub misses: IntCounter,
    pub errors: IntCounter,
    /// Look-ups that read the versions from Redis (none while the lease holds).
    pub version_reads: IntCounter,
}

impl Metrics {
    #[expect(
        clippy::expect_used,
        reason = "metric names and labels are static and valid; registering them cannot fail"
    )]
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("ogp_pulse".to_owned()), None)
            .expect("a valid registry prefix");
        let requests = IntCounterVec::new(
            Opts::new(
                "requests_total",
                "GraphQL requests over HTTP, by operation type",
            ),
            &["operation"],
        )
        .expect("requests_total");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "request_duration_seconds",
                "Time to answer a GraphQL request over HTTP, by operation type",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ]),
            &["operation"],
        )
        .expect("request_duration_seconds");
        let rate_limited =
            IntCounter::new("rate_limited_total", "Requests refused with RATE_LIMITED")
                .expect("rate_limited_total");
        let cache = IntCounterVec::new(
            Opts::new(
                "response_cache_total",
                "Response cache look-ups by result (hit, miss, error)",
            ),
            &["result"],
        )
        .expect("response_cache_total");
        let cache_version_reads = IntCounter::new(
            "response_cache_version_reads_total",
            "Response cache look-ups that read the area versions from Redis (none while this instance holds them under a lease)",
        )
        .expect("response_cache_version_reads_total");
        let subscriptions =
            IntGauge::new("subscriptions", "Live subscriptions open now").expect("subscriptions");
        let pool = IntGaugeVec::new(
            Opts::new("database_connections", "Database pool connections by state"),
            &["state"],
        )
        .expect("database_connections");
        let outbox = IntGaugeVec::new(
            Opts::new(
                "mail_outbox_messages",
                "Messages in the mail outbox by status (pending, sending, sent, failed, suppressed)",
            ),
            &["status"],
        )
        .expect("mail_outbox_messages");
        let sql_statements = IntCounter::new(
            "sql_statements_total",
            "SQL statements run through the request pool (per request: divide by requests_total)",
        )
        .expect("sql_statements_total");
        let deliveries = IntCounterVec::new(
            Opts::new(
                "mail_deliveries_total",
                "Delivery attempts by this instance, by result (sent, retried, failed, suppressed)",
            ),
            &["result"],
        )
        .expect("mail_deliveries_total");
        let digests = IntCounterVec::new(
            Opts::new(
                "digests_total",
                "Due digests handled by this instance, by result (composed, nothing_new, unconfirmed_address)",
            ),
            &["result"],
        )
        .expect("digests_total");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(rate_limited.clone()),
            Box::new(cache.clone()),
            Box::new(cache_version_reads.clone()),
            Box::new(subscriptions.clone()),
            Box::new(pool.clone()),
            Box::new(outbox.clone()),
            Box::new(sql_statements.clone()),
            Box::new(deliveries.clone()),
            Box::new(digests.clone()),
        ] {
            registry.register(collector).expect("distinct metric names");
        }
        Self {
            registry,
            requests,
            duration,
            rate_limited,
            cache,
            cache_version_reads,
            subscriptions,
            pool,
            outbox,
            sql_statements,
            deliveries,
            digests,
        }
    }

    /// Records the outbox as last read.
    pub fn mail_backlog(&self, backlog: &crate::mail::outbox::Backlog) {
        for (status, count) in [
            ("pending", backlog.pending),
            ("sending", backlog.sending),
            ("sent", backlog.sent),
            ("failed", backlog.failed),
            ("suppressed", backlog.suppressed),
        ] {
            self.outbox
                .with_label_values(&[status])
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    /// Brings the SQL statement count up to `run_so_far` (the pool's own
    /// counter, read at each scrape).
    pub fn sql_statements(&self, run_so_far: u64) {
        let counted = self.sql_statements.get();
        self.sql_statements
            .inc_by(run_so_far.saturating_sub(counted));
    }

    /// Counts one delivery run's results.
    pub fn deliveries(&self, report: &crate::mail::delivery::DeliveryReport) {
        for (result, count) in [
            ("sent", report.sent),
            ("retried", report.retried),
            ("failed", report.failed),
            ("suppressed", report.suppressed),
        ] {
            self.deliveries.with_label_values(&[result]).inc_by(count);
        }
    }

    /// Counts one digest run's results.
    pub fn digests(&self, report: &crate::digests::run::RunReport) {
        for (result, count) in [
            ("composed", report.composed),
            ("nothing_new", report.nothing_new),
            ("unconfirmed_address", report.unconfirmed_address),
        ] {
            self.digests.with_label_values(&[result]).inc_by(count);
        }
    }

    /// The counters the response cache reports to.
    pub fn cache_counters(&self) -> CacheCounters {
        CacheCounters {
            hits: self.cache.with_label_values(&["hit"]),
            misses: self.cache.with_label_values(&["miss"]),
            errors: self.cache.with_label_values(&["error"]),
            version_reads: self.cache_version_reads.clone(),
        }
    }

    /// Counts one answered request.
    pub fn request(&self, operation: &str, took: Duration, rate_limited: bool) {
        self.requests.with_label_values(&[operation]).inc();
        self.duration
            .with_label_values(&[operation])
            .observe(took.as_secs_f64());
        if rate_limited {
            self.rate_limited.inc();
        }
    }

    /// The text exposition, with the pool read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (open, idle) = match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        self.pool.with_label_values(&["open"]).set(i64::from(open));
        self.pool
            .with_label_values(&["idle"])
            .set(i64::try_from(idle).unwrap_or(i64::MAX));
        let mut buffer = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %err, "cannot render metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts a live subscription for as long as it is held.
pub struct SubscriptionGuard(IntGauge);

impl SubscriptionGuard {
    pub fn new(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
