//! Limits on login attempts, per account and per client address, on the
//! service's rate limiter (so they move to the shared store with it). Keys
//! are salted hashes: no email or address is kept in clear.

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::{
    error::AppResult,
    ratelimit::{Limit, RateLimiter},
};

/// Failed (or unfinished) logins one account may suffer per window.
pub const ACCOUNT_FAILURES: u32 = 5;
/// Login attempts one client address may make per window.
pub const CLIENT_ATTEMPTS: u32 = 20;
pub const WINDOW: Duration = Duration::minutes(15);

pub struct LoginThrottle {
    limiter: RateLimiter,
    salt: String,
}

impl LoginThrottle {
    /// Counts on `limiter`; `salt` is the service's secret, the same on every
    /// instance so that they count the same attempts under the same keys.
    pub fn new(limiter: RateLimiter, salt: &str) -> Self {
        Self {
            limiter,
            salt: salt.to_owned(),
        }
    }

    fn key(&self, kind: &str, value: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.salt.as_bytes());
        hasher.update([0u8]);
        hasher.update(value.trim().to_lowercase().as_bytes());
        let digest = hasher.finalize();
        let short: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("login:{kind}:{short}")
    }

    /// Counts one attempt against the account and the client, refusing it
    /// when either is over its limit. Call before checking the password: an
    /// attempt counts as a failure until `succeeded` says otherwise, so
    /// concurrent guesses cannot all slip in before the first one fails.
    pub async fn attempt(&self, email: &str, client: &str) -> AppResult<()> {
        let account = Limit {
            max: ACCOUNT_FAILURES,
            window: WINDOW,
        };
        let address = Limit {
            max: CLIENT_ATTEMPTS,
            window: WINDOW,
        };
        self.limiter
            .hit(&[
                (self.key("account", email), account),
                (self.key("client", client), address),
            ])
            .await
    }

    /// A successful login clears the account's failures.
    pub async fn succeeded(&self, email: &str) {
        self.limiter.forget(&self.key("account", email)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;

    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn throttle(clock: Arc<dyn Clock>) -> LoginThrottle {
        LoginThrottle::new(RateLimiter::in_process(clock), "salt")
    }

    #[tokio::test]
    async fn failures_lock_the_account_until_the_window_ends() {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let throttle = throttle(clock.clone());
        for _ in 0..ACCOUNT_FAILURES {
            assert!(throttle.attempt("a@example.org", "10.0.0.1").await.is_ok());
        }
        // Another address does not help: the account is locked.
        assert!(throttle.attempt("A@example.org", "10.0.0.2").await.is_err());
        assert!(throttle.attempt("b@example.org", "10.0.0.2").await.is_ok());
        clock.advance(WINDOW);
        assert!(throttle.attempt("a@example.org", "10.0.0.1").await.is_ok());
    }

    #[tokio::test]
    async fn one_address_cannot_spray_many_accounts() {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let throttle = throttle(clock);
        for n in 0..CLIENT_ATTEMPTS {
            assert!(
                throttle
                    .attempt(&format!("user{n}@example.org"), "10.0.0.1")
                    .await
                    .is_ok()
            );
        }
        assert!(
            throttle
                .attempt("another@example.org", "10.0.0.1")
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_success_clears_the_account() {
        let throttle = throttle(Arc::new(ManualClock::starting_at(Utc::now())));
        for _ in 0..ACCOUNT_FAILURES - 1 {
            assert!(throttle.attempt("a@example.org", "10.0.0.1").await.is_ok());
        }
        throttle.succeeded("a@example.org").await;
        for _ in 0..ACCOUNT_FAILURES {
            assert!(throttle.attempt("a@example.org", "10.0.0.1").await.is_ok());
        }
        assert!(throttle.attempt("a@example.org", "10.0.0.1").await.is_err());
    }
}
