//! Secrets: API keys and the admin token are random strings with a recognizable prefix; only
//! their SHA-256 is stored. A slow password hash is not needed: the secrets carry 190 bits of
//! randomness, so a fast hash keeps authentication cheap on the ingest path.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every API key starts with this, so that leaked keys are easy to recognize and scan for.
pub const API_KEY_PREFIX: &str = "trb_";
/// The admin token's own prefix: it is never mistaken for a tenant's key.
pub const ADMIN_TOKEN_PREFIX: &str = "trb_admin_";
/// How many characters of a key are kept in the clear, to tell keys apart in lists.
const SHOWN_PREFIX_CHARS: usize = 12;
/// 32 characters of [A-Za-z0-9]: about 190 bits.
const SECRET_CHARS: usize = 32;

fn random_secret() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(SECRET_CHARS)
        .map(char::from)
        .collect()
}

/// A new API key: the full secret (shown once) and the part that may be shown in lists.
pub fn generate_api_key() -> (String, String) {
    let key = format!("{API_KEY_PREFIX}{}", random_secret());
    let shown = key[..SHOWN_PREFIX_CHARS].to_owned();
    (key, shown)
}

pub fn generate_admin_token() -> String {
    format!("{ADMIN_TOKEN_PREFIX}{}", random_secret())
}

pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compares two hashes without leaking, through timing, how many leading bytes matched.
pub fn hashes_match(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_are_unique_prefixed_and_long() {
        let (a, shown) = generate_api_key();
        let (b, _) = generate_api_key();
        assert_ne!(a, b);
        assert!(a.starts_with(API_KEY_PREFIX));
        assert_eq!(a.len(), API_KEY_PREFIX.len() + SECRET_CHARS);
        assert!(a.starts_with(&shown));
        assert_eq!(shown.len(), SHOWN_PREFIX_CHARS);
    }

    #[test]
    fn hashes_match_only_for_the_same_secret() {
        let (key, _) = generate_api_key();
        assert!(hashes_match(&hash_secret(&key), &hash_secret(&key)));
        assert!(!hashes_match(&hash_secret(&key), &hash_secret("trb_other")));
    }
}
