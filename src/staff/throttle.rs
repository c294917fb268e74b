//! Limits on login attempts, per account and per client address, in fixed
//! windows. Keys are salted hashes: no email or address is kept in clear.
//! In-process; several instances will share it through Redis (a later step).

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use chrono::{DateTime, Duration, Utc};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::{
    clock::Clock,
    error::{AppError, AppResult},
};

/// Failed (or unfinished) logins one account may suffer per window.
pub const ACCOUNT_FAILURES: u32 = 5;
/// Login attempts one client address may make per window.
pub const CLIENT_ATTEMPTS: u32 = 20;
pub const WINDOW: Duration = Duration::minutes(15);

struct Window {
    started: DateTime<Utc>,
    count: u32,
}

pub struct LoginThrottle {
    clock: Arc<dyn Clock>,
    salt: [u8; 16],
    windows: Mutex<HashMap<String, Window>>,
}

impl LoginThrottle {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        Self {
            clock,
            salt,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, kind: &str, value: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(value.trim().to_lowercase().as_bytes());
        let digest = hasher.finalize();
        let short: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("{kind}:{short}")
    }

    /// Counts one attempt against the account and the client, refusing it
    /// when either is over its limit. Call before checking the password: an
    /// attempt counts as a failure until `succeeded` says otherwise, so
    /// concurrent guesses cannot all slip in before the first one fails.
    pub fn attempt(&self, email: &str, client: &str) -> AppResult<()> {
        let now = self.clock.now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.retain(|_, window| now - window.started < WINDOW);
        let account = self.key("account", email);
        let client = self.key("client", client);
        for (key, limit) in [(&account, ACCOUNT_FAILURES), (&client, CLIENT_ATTEMPTS)] {
            if let Some(window) = windows.get(key) {
                if window.count >= limit {
                    return Err(rate_limited(window, now));
                }
            }
        }
        for key in [account, client] {
            windows
                .entry(key)
                .or_insert(Window {
                    started: now,
                    count: 0,
                })
                .count += 1;
        }
        Ok(())
    }

    /// A successful login clears the account's failures.
    pub fn succeeded(&self, email: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.remove(&self.key("account", email));
    }
}

fn rate_limited(window: &Window, now: DateTime<Utc>) -> AppError {
    let remaining = (window.started + WINDOW - now).num_seconds().max(1);
    AppError::RateLimited {
        retry_after_seconds: u64::try_from(remaining).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn failures_lock_the_account_until_the_window_ends() {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let throttle = LoginThrottle::new(clock.clone());
        for _ in 0..ACCOUNT_FAILURES {
            assert!(throttle.attempt("a@example.org", "10.0.0.1").is_ok());
        }
        // Another address does not help: the account is locked.
        assert!(throttle.attempt("A@example.org", "10.0.0.2").is_err());
        assert!(throttle.attempt("b@example.org", "10.0.0.2").is_ok());
        clock.advance(WINDOW);
        assert!(throttle.attempt("a@example.org", "10.0.0.1").is_ok());
    }

    #[test]
    fn one_address_cannot_spray_many_accounts() {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let throttle = LoginThrottle::new(clock);
        for n in 0..CLIENT_ATTEMPTS {
            assert!(
                throttle
                    .attempt(&format!("user{n}@example.org"), "10.0.0.1")
                    .is_ok()
            );
        }
        assert!(throttle.attempt("another@example.org", "10.0.0.1").is_err());
    }

    #[test]
    fn a_success_clears_the_account() {
        let throttle = LoginThrottle::new(Arc::new(ManualClock::starting_at(Utc::now())));
        for _ in 0..ACCOUNT_FAILURES - 1 {
            assert!(throttle.attempt("a@example.org", "10.0.0.1").is_ok());
        }
        throttle.succeeded("a@example.org");
        for _ in 0..ACCOUNT_FAILURES {
            assert!(throttle.attempt("a@example.org", "10.0.0.1").is_ok());
        }
        assert!(throttle.attempt("a@example.org", "10.0.0.1").is_err());
    }
}
