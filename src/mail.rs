//! Email: every message is written to an outbox in the transaction of what
//! causes it (so a crash loses nothing and a repeated cause sends nothing
//! twice), then a sender delivers what is due through SMTP (`SMTP_URL`) or,
//! by default, as `.eml` files in an outbox folder. Transient failures are
//! retried with capped, jittered exponential backoff; a permanent failure
//! stops mailing that address. Knows nothing of GraphQL.

pub mod delivery;
pub mod notices;
pub mod outbox;
pub mod transport;

use sha2::{Digest, Sha256};

/// How an address is remembered once its messages are gone: a hash of its
/// normalised form, enough to recognise it, not to read it.
pub fn address_hash(address: &str) -> String {
    Sha256::digest(address.trim().to_lowercase().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
