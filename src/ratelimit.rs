//! Rate limits for public mutations: at most `max` hits per key per window.
//!
//! Fixed windows: simple, cheap, and what Redis does as well (INCR with an
//! expiry), so both implementations answer alike. With Redis the counts are
//! shared by every instance; when Redis cannot answer, this process counts
//! on its own until it can — a limit is never lifted by an outage. Keys
//! never hold personal data in clear: callers pass hashes.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::{clock::Clock, error::AppError, shared::SharedStore};

/// Checks every counter, then counts the hit on all of them or on none, in
/// one atomic step. KEYS are the counters; ARGV gives each its maximum and
/// window (milliseconds), in order. Answers 0, or how many milliseconds to
/// wait.
const HIT_SCRIPT: &str = r"
local wait = 0
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[2 * i - 1])
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= max then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[2 * i])
      ttl = tonumber(ARGV[2 * i])
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, ARGV[2 * i])
  end
end
return 0
";

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
    windows: Mutex<Windows>,
}

/// The windows of the keys hit, and how many there may be before windows
/// long over are looked for again.
struct Windows {
    by_key: HashMap<String, Window>,
    sweep_above: usize,
}

/// Below this many windows, none are forgotten.
const SWEEP_FLOOR: usize = 10_000;

impl Windows {
    /// Forgets windows long over, so memory follows the active visitors.
    /// Looking at every window costs as much as there are, so the next look
    /// waits until there are twice as many as the last one kept: each hit
    /// pays a constant share, however many visitors are active (looking at
    /// every hit made each comment slower as visitors piled up: Q5's
    /// server CPU per comment 0.27 ms with a fresh process, 0.42 ms after
    /// 15,000 visitors).
    fn sweep(&mut self, now: DateTime<Utc>) {
        if self.by_key.len() <= self.sweep_above {
            return;
        }
        self.by_key
            .retain(|_, window| now - window.started < Duration::days(1));
        self.sweep_above = SWEEP_FLOOR.max(self.by_key.len() * 2);
    }
}

/// Where hits are counted.
pub enum RateLimiter {
    /// In this process: right for one instance.
    InProcess(InProcessCounter),
    /// In Redis, shared by every instance; in this process while Redis is
    /// unreachable.
    Shared {
        store: Arc<SharedStore>,
        script: redis::Script,
        fallback: InProcessCounter,
    },
}

impl RateLimiter {
    pub fn in_process(clock: Arc<dyn Clock>) -> Self {
        Self::InProcess(InProcessCounter::new(clock))
    }

    /// Counts in Redis; `clock` serves the in-process fallback.
    pub fn shared(store: Arc<SharedStore>, clock: Arc<dyn Clock>) -> Self {
        Self::Shared {
            store,
            script: redis::Script::new(HIT_SCRIPT),
            fallback: InProcessCounter::new(clock),
        }
    }

    /// Counts one hit on every `(key, limit)` pair, or none at all when any
    /// of them is already at its limit (then `RATE_LIMITED` says how long to
    /// wait).
    pub async fn hit(&self, checks: &[(String, Limit)]) -> Result<(), AppError> {
        match self {
            Self::InProcess(counter) => counter.hit(checks),
            Self::Shared {
                store,
                script,
                fallback,
            } => {
                let mut invocation = script.prepare_invoke();
                for (key, limit) in checks {
                    invocation
                        .key(store.key(&format!("ratelimit:{key}")))
                        .arg(limit.max)
                        .arg(limit.window.num_milliseconds().max(1));
                }
                let outcome: Result<i64, _> =
                    invocation.invoke_async(&mut store.connection()).await;
                store.observe(&outcome);
                match outcome {
                    Ok(0) => Ok(()),
                    Ok(wait_ms) => Err(AppError::RateLimited {
                        retry_after_seconds: u64::try_from(wait_ms)
                            .map_or(1, |ms| ms.div_ceil(1000))
                            .max(1),
                    }),
                    Err(_) => fallback.hit(checks),
                }
            }
        }
    }

    /// Clears the count of `key`, as if it had never been hit.
    pub async fn forget(&self, key: &str) {
        match self {
            Self::InProcess(counter) => counter.forget(key),
            Self::Shared {
                store, fallback, ..
            } => {
                fallback.forget(key);
                let outcome: Result<i64, _> = redis::cmd("DEL")
                    .arg(store.key(&format!("ratelimit:{key}")))
                    .query_async(&mut store.connection())
                    .await;
                store.observe(&outcome);
            }
        }
    }
}

impl InProcessCounter {
    fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            windows: Mutex::new(Windows {
                by_key: HashMap::new(),
                sweep_above: SWEEP_FLOOR,
            }),
        }
    }

    fn forget(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .by_key
            .remove(key);
    }

    fn hit(&self, checks: &[(String, Limit)]) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.sweep(now);
        let windows = &mut windows.by_key;
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

    #[test]
    fn windows_long_over_are_forgotten_as_visitors_double() {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let counter = InProcessCounter::new(clock.clone());
        let hour = Limit {
            max: 5,
            window: Duration::hours(1),
        };
        let visit = |name: String| counter.hit(&[(name, hour)]).expect("under the limit");
        let kept = || counter.windows.lock().map(|w| w.by_key.len()).unwrap_or(0);
        // The last of these finds more than the floor and looks: every
        // window is still running, all are kept, and the next look waits
        // for twice as many.
        for n in 0..SWEEP_FLOOR + 2 {
            visit(format!("yesterday:{n}"));
        }
        assert_eq!(kept(), SWEEP_FLOOR + 2);
        clock.advance(Duration::days(2));
        for n in 0..SWEEP_FLOOR {
            visit(format!("today:{n}"));
        }
        assert_eq!(
            kept(),
            2 * SWEEP_FLOOR + 2,
            "no look before the count doubled"
        );
        visit("today:last".to_owned());
        visit("today:after".to_owned());
        assert_eq!(
            kept(),
            SWEEP_FLOOR + 2,
            "yesterday's windows forgotten, today's kept"
        );
    }
}
