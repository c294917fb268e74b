//! Rate limits for public mutations: at most `max` hits per key per window.
//!
//! Fixed windows: simple, cheap, and what a shared store (Redis INCR with
//! EXPIRE, in the Redis step) does as well, so both implementations answer
//! alike. Keys never hold personal data in clear: callers pass hashes.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::{clock::Clock, error::AppError};

/// At most `max` hits per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

struct Window {
    started: DateTime<Utc>,
    count: u32,
}

/// Counts in this process's memory: right for one instance.
pub struct InProcessCounter {
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<String, Window>>,
}

/// Where hits are counted.
pub enum RateLimiter {
    InProcess(InProcessCounter),
}

impl RateLimiter {
    pub fn in_process(clock: Arc<dyn Clock>) -> Self {
        Self::InProcess(InProcessCounter {
            clock,
            windows: Mutex::new(HashMap::new()),
        })
    }

    /// Counts one hit on every `(key, limit)` pair, or none at all when any
    /// of them is already at its limit (then `RATE_LIMITED` says how long to
    /// wait).
    pub async fn hit(&self, checks: &[(String, Limit)]) -> Result<(), AppError> {
        match self {
            Self::InProcess(counter) => counter.hit(checks),
        }
    }

    /// Clears the count of `key`, as if it had never been hit.
    pub async fn forget(&self, key: &str) {
        match self {
            Self::InProcess(counter) => {
                counter
                    .windows
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(key);
            }
        }
    }
}

impl InProcessCounter {
    fn hit(&self, checks: &[(String, Limit)]) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        // Forget windows long over, so memory follows the active visitors.
        if windows.len() > 10_000 {
            windows.retain(|_, window| now - window.started < Duration::days(1));
        }
        let mut wait = None;
        for (key, limit) in checks {
            if let Some(window) = windows.get(key) {
                let ends = window.started + limit.window;
                if now < ends && window.count >= limit.max {
                    let seconds = u64::try_from((ends - now).num_seconds().max(1)).unwrap_or(1);
                    wait = Some(wait.map_or(seconds, |w: u64| w.max(seconds)));
                }
            }
        }
        if let Some(retry_after_seconds) = wait {
            return Err(AppError::RateLimited {
                retry_after_seconds,
            });
        }
        for (key, limit) in checks {
            let window = windows.entry(key.clone()).or_insert(Window {
                started: now,
                count: 0,
            });
            if now - window.started >= limit.window {
                *window = Window {
                    started: now,
                    count: 0,
                };
            }
            window.count += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn limits_per_window_and_recovers() {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let limiter = RateLimiter::in_process(clock.clone());
        let minute = Limit {
            max: 2,
            window: Duration::minutes(1),
        };
        let checks = [("visitor:a".to_owned(), minute)];
        assert!(limiter.hit(&checks).await.is_ok());
        assert!(limiter.hit(&checks).await.is_ok());
        match limiter.hit(&checks).await {
            Err(AppError::RateLimited {
                retry_after_seconds,
            }) => assert!((1..=60).contains(&retry_after_seconds)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(
            limiter
                .hit(&[("visitor:b".to_owned(), minute)])
                .await
                .is_ok()
        );
        clock.advance(Duration::minutes(1));
        assert!(limiter.hit(&checks).await.is_ok());
    }
}
