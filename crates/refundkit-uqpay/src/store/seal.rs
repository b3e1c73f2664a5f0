//! Tokens sealed at rest: XChaCha20-Poly1305 under a key derived from the
//! API key (HKDF-SHA256), so reading a token file or a Redis value alone
//! grants no API access. A record that does not open (another key, tampered,
//! an older format) reads as absent.
//!
//! Record layout (all integers big-endian):
//! `b"RKUT"` · version `1` · generation `u64` · `expires_at` Unix seconds
//! `i64` · 24-byte random nonce · ciphertext of the token with its 16-byte
//! tag. The 21 header bytes are the AEAD's associated data.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use refundkit_core::transport::CredentialGeneration;
use refundkit_core::{ExposeSecret, OffsetDateTime, SecretString};
use secrecy::zeroize::Zeroizing;
use sha2::Sha256;

use crate::config::Environment;
use crate::token::{AccessToken, MintedToken};

const MAGIC: &[u8; 4] = b"RKUT";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 8 + 8;
const NONCE_LEN: usize = 24;
const SALT: &[u8] = b"refundkit uqpay token store v1";

/// The header fields of a record, readable without the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub generation: u64,
    pub expires_at: i64,
}

/// Seals and opens the token records of one client id and environment.
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// The sealer for `client_id` in `environment`, keyed by `api_key`.
    pub fn new(api_key: &SecretString, environment: Environment, client_id: &str) -> Self {
        let info = format!(
            "refundkit:uqpay:{}:{client_id}",
            environment_name(environment)
        );
        let hkdf = Hkdf::<Sha256>::new(Some(SALT), api_key.expose_secret().as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = hkdf.expand(info.as_bytes(), key.as_mut());
        Self {
            cipher: XChaCha20Poly1305::new(key.as_ref().into()),
        }
    }

    /// The sealed record of `token`, with a fresh random nonce.
    pub fn seal(&self, token: &AccessToken) -> Option<Vec<u8>> {
        let header = encode_header(RecordHeader {
            generation: token.generation().0,
            expires_at: token.expires_at().unix_timestamp(),
        });
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: token.value().expose_secret().as_bytes(),
            aad: &header,
        };
        let ciphertext = self.cipher.encrypt(&nonce, payload).ok()?;
        let mut record = Vec::with_capacity(HEADER_LEN + NONCE_LEN + ciphertext.len());
        record.extend_from_slice(&header);
        record.extend_from_slice(nonce.as_slice());
        record.extend_from_slice(&ciphertext);
        Some(record)
    }

    /// The token in `record`; `None` when it does not open.
    pub fn open(&self, record: &[u8]) -> Option<AccessToken> {
        let header = read_header(record)?;
        let (header_bytes, rest) = record.split_at_checked(HEADER_LEN)?;
        let (nonce, ciphertext) = rest.split_at_checked(NONCE_LEN)?;
        let payload = Payload {
            msg: ciphertext,
            aad: header_bytes,
        };
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(XNonce::from_slice(nonce), payload)
                .ok()?,
        );
        let value = std::str::from_utf8(&plain).ok()?;
        if value.is_empty() {
            return None;
        }
        let expires_at = OffsetDateTime::from_unix_timestamp(header.expires_at).ok()?;
        let minted = MintedToken {
            value: SecretString::from(value.to_string()),
            expires_at,
        };
        Some(AccessToken::new(
            minted,
            CredentialGeneration(header.generation),
        ))
    }
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(XChaCha20-Poly1305, key derived from the API key)")
    }
}

/// The header of `record` (not authenticated until [`Sealer::open`]).
pub(crate) fn read_header(record: &[u8]) -> Option<RecordHeader> {
    let header: &[u8; HEADER_LEN] = record.get(..HEADER_LEN)?.try_into().ok()?;
    let (magic, rest) = header.split_first_chunk::<4>()?;
    let (version, rest) = rest.split_first()?;
    let (generation, rest) = rest.split_first_chunk::<8>()?;
    let (expires_at, _) = rest.split_first_chunk::<8>()?;
    if magic != MAGIC || *version != VERSION {
        return None;
    }
    Some(RecordHeader {
        generation: u64::from_be_bytes(*generation),
        expires_at: i64::from_be_bytes(*expires_at),
    })
}

fn encode_header(header: RecordHeader) -> [u8; HEADER_LEN] {
    let mut bytes = [0u8; HEADER_LEN];
    let (magic, rest) = bytes.split_at_mut(4);
    magic.copy_from_slice(MAGIC);
    let (version, rest) = rest.split_at_mut(1);
    version.copy_from_slice(&[VERSION]);
    let (generation, expires_at) = rest.split_at_mut(8);
    generation.copy_from_slice(&header.generation.to_be_bytes());
    expires_at.copy_from_slice(&header.expires_at.to_be_bytes());
    bytes
}

/// `sandbox` or `production`: part of key derivation and of store names.
pub(crate) fn environment_name(environment: Environment) -> &'static str {
    match environment {
        Environment::Sandbox => "sandbox",
        Environment::Production => "production",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str, generation: u64) -> AccessToken {
        AccessToken::new(
            MintedToken {
                value: SecretString::from(value),
                expires_at: OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap(),
            },
            CredentialGeneration(generation),
        )
    }

    fn sealer(key: &str, client_id: &str) -> Sealer {
        Sealer::new(&SecretString::from(key), Environment::Sandbox, client_id)
    }

    #[test]
    fn a_sealed_token_opens_with_its_generation_and_expiry() {
        let sealer = sealer("api-key", "client");
        let record = sealer.seal(&token("eyJ.secret.jwt", 7)).unwrap();
        let opened = sealer.open(&record).unwrap();
        assert_eq!(opened.value().expose_secret(), "eyJ.secret.jwt");
        assert_eq!(opened.generation(), CredentialGeneration(7));
        assert_eq!(opened.expires_at().unix_timestamp(), 1_900_000_000);
        assert_eq!(
            read_header(&record),
            Some(RecordHeader {
                generation: 7,
                expires_at: 1_900_000_000
            })
        );
    }

    #[test]
    fn the_record_does_not_contain_the_token() {
        let record = sealer("api-key", "client")
            .seal(&token("eyJ.secret.jwt", 1))
            .unwrap();
        let text = String::from_utf8_lossy(&record);
        assert!(!text.contains("secret"));
        assert!(!text.contains("eyJ"));
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let sealer = sealer("api-key", "client");
        let token = token("jwt", 1);
        assert_ne!(sealer.seal(&token), sealer.seal(&token));
    }

    #[test]
    fn records_that_do_not_open_read_as_absent() {
        let sealer = sealer("api-key", "client");
        let record = sealer.seal(&token("jwt", 3)).unwrap();
        // another API key, another client id, another environment
        assert!(self::sealer("other-key", "client").open(&record).is_none());
        assert!(self::sealer("api-key", "other").open(&record).is_none());
        let production = Sealer::new(
            &SecretString::from("api-key"),
            Environment::Production,
            "client",
        );
        assert!(production.open(&record).is_none());
        // any flipped byte: header (generation), nonce, ciphertext, tag
        for index in [6, HEADER_LEN + 1, HEADER_LEN + NONCE_LEN, record.len() - 1] {
            let mut tampered = record.clone();
            tampered[index] ^= 0x01;
            assert!(sealer.open(&tampered).is_none(), "byte {index}");
        }
        // truncated, empty, garbage, another version
        for bad in [&record[..HEADER_LEN + 3], &[][..], b"not a record at all"] {
            assert!(sealer.open(bad).is_none());
        }
        let mut v2 = record.clone();
        v2[4] = 2;
        assert!(sealer.open(&v2).is_none());
        assert!(read_header(&v2).is_none());
    }

    #[test]
    fn debug_names_no_key() {
        let text = format!("{:?}", sealer("api-key-value", "client"));
        assert!(!text.contains("api-key-value"));
    }
}
