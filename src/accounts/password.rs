//! Passwords (4.2.5 (1) 5)): 密碼長度不少於六個字符,選用大小寫英文字母、數字和
//! 特殊字符中兩者以上的組合,加密存儲 — at least six characters, from at least
//! two of the classes letters, digits and other characters, stored hashed.
//!
//! Hashing is argon2id with the crate's defaults (19 MiB, 2 passes: OWASP's
//! recommendation), tens of milliseconds of CPU by design: a server runs
//! [`PasswordHash::create`] and [`check`] in `spawn_blocking`.

use std::fmt;
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The rule in words, as a refused password's message gives it.
pub const RULE: &str = "a password has at least 6 characters, from at least two of the classes \
                        letters, digits and other characters";

/// A password that follows the rule. Its text never appears in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password was refused; the message states the whole rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password has {0} characters: {RULE}")]
    TooShort(usize),
    #[error("the password uses only {0}: {RULE}")]
    OneClass(&'static str),
}

impl Password {
    /// Checks the rule. Letters are any alphabetic character (either case,
    /// any script), digits any numeric one, everything else (punctuation,
    /// symbols, spaces) is "other"; length counts characters, not bytes.
    pub fn parse(text: &str) -> Result<Self, PasswordError> {
        let length = text.chars().count();
        if length < 6 {
            return Err(PasswordError::TooShort(length));
        }
        let letters = text.chars().any(char::is_alphabetic);
        let digits = text.chars().any(char::is_numeric);
        let other = text.chars().any(|c| !c.is_alphabetic() && !c.is_numeric());
        match (letters, digits, other) {
            (true, false, false) => Err(PasswordError::OneClass("letters")),
            (false, true, false) => Err(PasswordError::OneClass("digits")),
            (false, false, true) => Err(PasswordError::OneClass("other characters")),
            _ => Ok(Self(text.to_owned())),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// An argon2id hash in the PHC string format (`$argon2id$v=19$m=…`), the
/// only form in which a password is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes `password` with a fresh random salt.
    pub fn create(password: &Password) -> Self {
        Self::of(password.as_bytes())
    }

    /// A hash read back from the store.
    pub fn stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn of(bytes: &[u8]) -> Self {
        let hash = Argon2::default()
            .hash_password(bytes)
            .expect("argon2 with default parameters hashes any input");
        Self(hash.to_string())
    }

    fn verifies(&self, candidate: &str) -> bool {
        Argon2::default()
            .verify_password(candidate.as_bytes(), self.0.as_str())
            .is_ok()
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// A hash of a random password nobody knows, made once per process with
/// the same parameters as real ones.
static DUMMY: LazyLock<PasswordHash> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    PasswordHash::of(&secret)
});

/// Whether `candidate` is the password behind `stored`. With no stored
/// hash (an unknown name, or a service account, which has no password) the
/// candidate is checked against a dummy hash all the same and refused, so
/// a wrong name costs exactly what a wrong password costs and the answer's
/// timing does not tell which names exist.
pub fn check(stored: Option<&PasswordHash>, candidate: &str) -> bool {
    match stored {
        Some(hash) => hash.verifies(candidate),
        None => {
            let _ = DUMMY.verifies(candidate);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_at_its_edges() {
        let accepted = [
            "abc123",     // exactly 6, letters + digits
            "abcde!",     // letters + other
            "12345-",     // digits + other
            "ABCde1",     // either case counts as letters
            "密碼密碼12", // letters of any script
            "pass word",  // a space is an "other" character
            "a1!a1!a1!",  // all three
        ];
        for text in accepted {
            assert!(Password::parse(text).is_ok(), "{text} should be accepted");
        }
        let refused = [
            ("", PasswordError::TooShort(0)),
            ("ab12!", PasswordError::TooShort(5)),
            ("密碼12!", PasswordError::TooShort(5)),
            ("abcdef", PasswordError::OneClass("letters")),
            ("AbCdEfGh", PasswordError::OneClass("letters")),
            ("123456", PasswordError::OneClass("digits")),
            ("!@#$%^", PasswordError::OneClass("other characters")),
            ("      ", PasswordError::OneClass("other characters")),
        ];
        for (text, error) in refused {
            assert_eq!(Password::parse(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn a_refusal_states_the_rule() {
        let message = Password::parse("abc").unwrap_err().to_string();
        assert!(message.contains("at least 6 characters"), "{message}");
        assert!(message.contains("two of the classes"), "{message}");
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify_only_the_password() {
        let password = Password::parse("s3cret!").unwrap();
        let hash = PasswordHash::create(&password);
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$"),
            "{}",
            hash.as_str()
        );
        assert!(!hash.as_str().contains("s3cret"));
        assert_ne!(
            PasswordHash::create(&password),
            hash,
            "a fresh salt each time"
        );
        assert!(check(Some(&hash), "s3cret!"));
        assert!(!check(Some(&hash), "s3cret?"));
        let stored = PasswordHash::stored(hash.as_str().to_owned());
        assert!(check(Some(&stored), "s3cret!"));
        assert!(!check(None, "s3cret!"), "no hash: always refused");
        assert!(!check(
            Some(&PasswordHash::stored("garbage".into())),
            "s3cret!"
        ));
        assert_eq!(
            format!("{password:?} {hash:?}"),
            "Password(…) PasswordHash(…)"
        );
    }
}
