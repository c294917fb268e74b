//! The store every instance shares: Redis, when `REDIS_URL` is set. Rate
//! limits and live updates go through it so that several instances behind a
//! load balancer behave as one service.
//!
//! Redis is a help, never a dependency: a request never fails because Redis
//! is down. Callers fall back to what they can do in-process, the outage is
//! logged once (and once more when Redis is back), `/health` reports it, and
//! the connection comes back by itself.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long connecting, and then each command, may take: an outage must
/// cost milliseconds, not seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

/// A connection to the shared Redis, and whether it currently works.
pub struct SharedStore {
    client: redis::Client,
    manager: ConnectionManager,
    prefix: String,
    down: AtomicBool,
}

impl SharedStore {
    /// Prepares the connection; it is made on first use, so a Redis that is
    /// down at start-up delays nothing. Fails only on a malformed URL.
    pub fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            manager,
            prefix: prefix.to_owned(),
            down: AtomicBool::new(false),
        })
    }

    /// The full name of a key or channel: every name carries the prefix, so
    /// deployments (and tests) can share one Redis.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A handle for commands (cheap: the connection is shared).
    pub fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// A client for a dedicated connection (pub/sub).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Notes the outcome of a command: the first failure of an outage and
    /// the first success after it are logged, nothing in between.
    pub fn observe<T>(&self, outcome: &Result<T, redis::RedisError>) {
        match outcome {
            Ok(_) => {
                if self.down.swap(false, Ordering::Relaxed) {
                    tracing::info!("redis answers again: shared state is back in use");
                }
            }
            Err(err) => {
                if !self.down.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %err, "redis is unreachable: working in-process until it returns");
                }
            }
        }
    }

    /// Whether the last command failed.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// Asks Redis whether it is there (for `/health`).
    pub async fn ping(&self) -> bool {
        let mut connection = self.connection();
        let outcome: Result<String, _> = redis::cmd("PING").query_async(&mut connection).await;
        self.observe(&outcome);
        outcome.is_ok()
    }
}
