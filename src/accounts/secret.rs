//! Bearer secrets: API tokens and sign-in sessions.
//!
//! A secret is 32 random bytes written as 64 hex digits; only its SHA-256
//! is stored and looked up, so a leaked database holds no working
//! credentials. The plain secret exists once, in the answer that made it.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A bearer secret. Its text never appears in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 32 bytes from the operating system's generator, as 64 hex digits.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// A secret given by the operator (`FLOWKEEPER_ADMIN_TOKEN`) or
    /// presented by a client.
    pub fn given(text: &str) -> Self {
        Self(text.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps and looks up: lower-case hex SHA-256.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for Secret {
    /// Never prints the secret itself, so it cannot end up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_64_hex_digits_and_only_their_hash_is_kept() {
        let secret = Secret::generate();
        assert_eq!(secret.expose().len(), 64);
        assert!(secret.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(secret.hash(), secret.expose());
        assert_eq!(secret.hash(), Secret::given(secret.expose()).hash());
        assert_ne!(Secret::generate(), secret);
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }
}
