//! Citizens' feedback on commitments: submitting, reading, official
//! responses. Knows nothing of GraphQL.

pub mod events;
pub mod moderation;
pub mod reactions;
pub mod read;
pub mod responses;
pub mod submit;

use sha2::{Digest, Sha256};

/// Who submits, as far as abuse protection needs to know: hashes only.
#[derive(Clone, Debug)]
pub struct Visitor {
    /// Salted hash of the client-held visitor token and the client address.
    pub key: String,
    /// Salted hash of the client address alone.
    pub address_key: String,
}

impl Visitor {
    /// Derives the keys of a visitor. `token` is the `OGP-Visitor` header a
    /// browser keeps (optional); `address` the client address. Neither is
    /// stored: only these salted hashes are.
    pub fn identify(salt: &str, token: Option<&str>, address: &str) -> Self {
        let hash = |parts: &[&str]| {
            let mut hasher = Sha256::new();
            hasher.update(salt.as_bytes());
            for part in parts {
                hasher.update([0u8]);
                hasher.update(part.as_bytes());
            }
            hasher.finalize()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let token = token
            .map(str::trim)
            .filter(|t| (8..=200).contains(&t.len()));
        Self {
            key: hash(&[token.unwrap_or(""), address]),
            address_key: hash(&[address]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Visitor;

    #[test]
    fn visitors_are_told_apart_by_token_and_address_without_keeping_them() {
        let a = Visitor::identify("salt", Some("token-aaaa"), "203.0.113.9");
        let b = Visitor::identify("salt", Some("token-bbbb"), "203.0.113.9");
        assert_ne!(a.key, b.key);
        assert_eq!(a.address_key, b.address_key);
        assert!(!a.key.contains("203.0.113.9"));
        assert_ne!(
            Visitor::identify("other salt", Some("token-aaaa"), "203.0.113.9").key,
            a.key
        );
    }
}
