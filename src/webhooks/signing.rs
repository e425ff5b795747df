//! Standard Webhooks signatures (standardwebhooks.com), so that receivers can verify
//! deliveries with the official libraries: `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `"{webhook-id}.{webhook-timestamp}.{body}"`, keyed with the base64-decoded part of the
//! `whsec_…` secret. Several signatures are separated by spaces (during a secret rotation the
//! previous secret signs too).
//!
//! The asymmetric scheme of the same spec, `v1a`: an ed25519 signature of the same content,
//! `v1a,<base64 of the 64-byte signature>`, made with a `whsk_` secret key that never leaves
//! Tributary; receivers verify with the `whpk_` public key. `whsk_` is base64 of the 32-byte
//! seed followed by the 32-byte public key (the 64-byte form libsodium and ed25519-compact
//! call the secret key); `whpk_` is base64 of the 32 raw public key bytes. Which scheme a
//! secret signs with is told by its prefix, so a rotation from one scheme to the other needs
//! nothing but the two secrets. Signing uses `ring` (already in the build for rustls).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use ring::signature::{Ed25519KeyPair, KeyPair};

const PREFIX: &str = "whsec_";
/// A `v1a` secret key (ours to keep).
pub const SECRET_KEY_PREFIX: &str = "whsk_";
/// A `v1a` public key (the receiver's to verify with).
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the webhook secret is not `whsec_` followed by base64, nor a `whsk_` ed25519 key")]
pub struct BadSecret;

/// The HMAC key of a secret: the base64 after `whsec_` (a secret without the prefix is
/// accepted as plain base64, as the reference libraries do).
pub fn key_of(secret: &str) -> Result<Vec<u8>, BadSecret> {
    let encoded = secret.strip_prefix(PREFIX).unwrap_or(secret);
    let key = STANDARD.decode(encoded).map_err(|_| BadSecret)?;
    if key.is_empty() {
        return Err(BadSecret);
    }
    Ok(key)
}

/// The ed25519 key pair of a `whsk_` secret key (the 32-byte seed, followed by the public key
/// it derives, which is checked; a bare 32-byte seed is accepted too).
fn key_pair_of(secret_key: &str) -> Result<Ed25519KeyPair, BadSecret> {
    let encoded = secret_key
        .strip_prefix(SECRET_KEY_PREFIX)
        .ok_or(BadSecret)?;
    let bytes = STANDARD.decode(encoded).map_err(|_| BadSecret)?;
    match bytes.len() {
        32 => Ed25519KeyPair::from_seed_unchecked(&bytes).map_err(|_| BadSecret),
        64 => Ed25519KeyPair::from_seed_and_public_key(&bytes[..32], &bytes[32..])
            .map_err(|_| BadSecret),
        _ => Err(BadSecret),
    }
}

/// A new `v1a` secret key: `whsk_` + base64 of a random seed and its public key.
pub fn generate_secret_key() -> String {
    let seed: [u8; 32] = rand::random();
    // Any 32 bytes are a valid seed.
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed).expect("a 32-byte seed");
    let mut bytes = seed.to_vec();
    bytes.extend_from_slice(pair.public_key().as_ref());
    format!("{SECRET_KEY_PREFIX}{}", STANDARD.encode(bytes))
}

/// Whether a secret signs `v1a` (a `whsk_` key) rather than `v1`.
pub fn is_secret_key(secret: &str) -> bool {
    secret.starts_with(SECRET_KEY_PREFIX)
}

/// The `whpk_` public key of a `whsk_` secret key; `None` for a `v1` secret.
pub fn public_key_of(secret: &str) -> Option<String> {
    let pair = key_pair_of(secret).ok()?;
    Some(format!(
        "{PUBLIC_KEY_PREFIX}{}",
        STANDARD.encode(pair.public_key().as_ref())
    ))
}

/// `v1,<base64 signature>` of one message with one secret, or `v1a,<base64 signature>` when
/// the secret is a `whsk_` key.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, BadSecret> {
    if is_secret_key(secret) {
        let pair = key_pair_of(secret)?;
        let mut content = Vec::with_capacity(id.len() + body.len() + 24);
        content.extend_from_slice(id.as_bytes());
        content.push(b'.');
        content.extend_from_slice(timestamp.to_string().as_bytes());
        content.push(b'.');
        content.extend_from_slice(body);
        return Ok(format!(
            "v1a,{}",
            STANDARD.encode(pair.sign(&content).as_ref())
        ));
    }
    let key = key_of(secret)?;
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header value: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, BadSecret> {
    let signatures = secrets
        .iter()
        .map(|secret| sign(secret, id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference implementations' test suites.
    #[test]
    fn the_reference_example_signs_as_the_reference_libraries_do() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let timestamp = 1614265330;
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, timestamp, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn several_secrets_give_space_separated_signatures() {
        let header = signature_header(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAA"],
            "id",
            1,
            b"{}",
        )
        .unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
    }

    /// RFC 8032, section 7.1, test 2: the seed, public key and signature of a one-byte
    /// message. Signing `{id}.{timestamp}.{body}` is checked against an independent
    /// implementation in the API tests.
    #[test]
    fn ed25519_signs_as_rfc_8032_says() {
        let seed = hex::decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
            .unwrap();
        let public =
            hex::decode("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
                .unwrap();
        let secret = format!("whsk_{}", STANDARD.encode([seed, public.clone()].concat()));
        assert_eq!(
            public_key_of(&secret).unwrap(),
            format!("whpk_{}", STANDARD.encode(&public))
        );
        let pair = key_pair_of(&secret).unwrap();
        assert_eq!(
            hex::encode(pair.sign(&[0x72]).as_ref()),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        );
        let header = sign(&secret, "msg", 1, b"{}").unwrap();
        let signature = STANDARD
            .decode(header.strip_prefix("v1a,").unwrap())
            .unwrap();
        assert_eq!(signature, pair.sign(b"msg.1.{}").as_ref());
    }

    #[test]
    fn secret_keys_are_fresh_and_a_mismatched_public_half_is_refused() {
        let key = generate_secret_key();
        assert!(is_secret_key(&key) && key != generate_secret_key());
        assert!(public_key_of(&key).unwrap().starts_with("whpk_"));
        assert_eq!(
            public_key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            None
        );
        let mut bytes = STANDARD.decode(key.strip_prefix("whsk_").unwrap()).unwrap();
        bytes[40] ^= 1;
        let broken = format!("whsk_{}", STANDARD.encode(bytes));
        assert_eq!(sign(&broken, "id", 1, b"{}"), Err(BadSecret));
        let mixed = signature_header(&[&key, "whsec_AAAA"], "id", 1, b"{}").unwrap();
        assert!(mixed.starts_with("v1a,") && mixed.contains(" v1,"));
    }

    #[test]
    fn a_secret_that_is_not_base64_is_refused() {
        assert_eq!(key_of("whsec_***"), Err(BadSecret));
        assert_eq!(key_of("whsec_"), Err(BadSecret));
    }
}
