//! Password hashing: Argon2id with at least OWASP's parameters (19 MiB of
//! memory, 2 iterations, 1 lane), verified in constant time.

use std::sync::LazyLock;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};
use rand_core::OsRng;

use crate::error::{AppError, AppResult};

pub const MIN_LENGTH: usize = 12;
/// Longer input is refused before hashing: hashing cost is the attacker's
/// lever otherwise.
pub const MAX_BYTES: usize = 1024;

fn argon2() -> AppResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|err| AppError::Internal(format!("argon2 parameters: {err}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password's length (characters, not bytes, at the low end).
pub fn check_strength(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_LENGTH {
        return Err(AppError::bad_input(
            "password",
            format!("at least {MIN_LENGTH} characters"),
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(AppError::bad_input(
            "password",
            format!("at most {MAX_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a random salt.
pub fn hash(password: &str) -> AppResult<String> {
    check_strength(password)?;
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AppError::Internal(format!("argon2: {err}")))
}

/// Whether `password` matches `stored`; a stored value that is not a valid
/// hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2()
        .map(|argon2| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that an
/// unknown email costs as long as a wrong password.
pub static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash("decoy password that never matches anything")
        .unwrap_or_else(|_| "$argon2id$v=19$m=19456,t=2,p=1$invalid".to_owned())
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_owasp_parameters() {
        let stored = hash("correct horse battery staple").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("correct horse battery stapler", &stored));
        assert!(!verify("anything", "not a hash"));
        assert!(hash("short").is_err());
    }
}
