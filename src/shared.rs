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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log lines written while `f` runs.
    fn logged(f: impl FnOnce()) -> Vec<String> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || LineSink(Arc::clone(&sink)))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
        lines
    }

    struct LineSink(Arc<Mutex<Vec<String>>>);

    impl std::io::Write for LineSink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut lines) = self.0.lock() {
                lines.push(String::from_utf8_lossy(buf).into_owned());
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_outage_is_logged_once_and_its_end_once() {
        let store = SharedStore::connect("redis://127.0.0.1:1", "test:").expect("a valid URL");
        let failure = || -> Result<(), redis::RedisError> {
            Err(redis::RedisError::from((redis::ErrorKind::Io, "refused")))
        };
        let lines = logged(|| {
            for _ in 0..5 {
                store.observe(&failure());
            }
            assert!(store.is_down());
            for _ in 0..3 {
                store.observe(&Ok::<(), redis::RedisError>(()));
            }
        });
        assert!(!store.is_down());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("unreachable"), "{lines:?}");
        assert!(lines[1].contains("answers again"), "{lines:?}");
    }
}
