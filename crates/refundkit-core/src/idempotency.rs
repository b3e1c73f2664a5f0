//! Idempotency keys: one per logical refund, the same on every attempt.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::validation::ValidationError;

/// The key a provider uses to deduplicate a create request: a UUID.
///
/// Make one per logical refund and reuse it on every retry, in every process.
/// [`IdempotencyKey::derive`] builds the same key from a merchant reference
/// wherever it runs, so a crashed and restarted job cannot refund twice.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(Uuid);

const DERIVE_DOMAIN: &[u8] = b"refundkit.idempotency-key.v1";

impl IdempotencyKey {
    /// A fresh random (version 4) key.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// A deterministic key for `reference` within `namespace` (for example your
    /// service name and your refund's order-line id).
    ///
    /// The namespace and reference are hashed with SHA-256 and the first 16
    /// bytes become a UUID with version-4 and RFC 4122 variant bits, so
    /// providers that validate v4 keys accept it.
    ///
    /// ```
    /// # use refundkit_core::IdempotencyKey;
    /// let a = IdempotencyKey::derive("shop", "order-42/refund-1").unwrap();
    /// let b = IdempotencyKey::derive("shop", "order-42/refund-1").unwrap();
    /// assert_eq!(a, b);
    /// assert_eq!(a.as_uuid().get_version_num(), 4);
    /// ```
    pub fn derive(namespace: &str, reference: &str) -> Result<Self, ValidationError> {
        if reference.trim().is_empty() {
            return Err(ValidationError::new(
                "reference",
                "must not be empty: every refund needs its own reference",
            ));
        }
        let mut hasher = Sha256::new();
        hasher.update(DERIVE_DOMAIN);
        // Length-prefix the namespace so ("ab", "c") and ("a", "bc") differ.
        hasher.update((namespace.len() as u64).to_be_bytes());
        hasher.update(namespace.as_bytes());
        hasher.update(reference.as_bytes());
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        for (byte, hashed) in bytes.iter_mut().zip(digest.iter()) {
            *byte = *hashed;
        }
        Ok(Self(uuid::Builder::from_random_bytes(bytes).into_uuid()))
    }

    /// Parses a key given as a UUID string (any RFC 4122 form).
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        Uuid::parse_str(text.trim())
            .map(Self)
            .map_err(|_| ValidationError::new("idempotency_key", "must be a UUID"))
    }

    /// The key as a UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0.hyphenated())
    }
}

impl FromStr for IdempotencyKey {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdempotencyKey::parse(s)
    }
}

impl Serialize for IdempotencyKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IdempotencyKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        IdempotencyKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_is_stable_across_releases() {
        // A fixed vector: changing it would make running fleets send new keys
        // for refunds already in flight. Checked independently with Python's
        // hashlib + uuid (SHA-256, first 16 bytes, v4 and variant bits).
        let key = IdempotencyKey::derive("acme-shop", "order-1001/refund-1").unwrap();
        assert_eq!(key.to_string(), "01a8e292-a359-4387-ac16-5d4f6c822180");
    }

    #[test]
    fn derived_key_is_a_valid_v4_uuid() {
        let key = IdempotencyKey::derive("ns", "ref").unwrap();
        let uuid = key.as_uuid();
        assert_eq!(uuid.get_version_num(), 4);
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn derive_separates_namespace_and_reference() {
        let a = IdempotencyKey::derive("ab", "c").unwrap();
        let b = IdempotencyKey::derive("a", "bc").unwrap();
        assert_ne!(a, b);
        assert_ne!(
            IdempotencyKey::derive("ns", "r1").unwrap(),
            IdempotencyKey::derive("ns", "r2").unwrap()
        );
    }

    #[test]
    fn empty_reference_is_refused() {
        assert!(IdempotencyKey::derive("ns", "  ").is_err());
    }

    #[test]
    fn new_keys_are_random_v4() {
        let (a, b) = (IdempotencyKey::new(), IdempotencyKey::new());
        assert_ne!(a, b);
        assert_eq!(a.as_uuid().get_version_num(), 4);
    }

    #[test]
    fn parse_round_trips_and_refuses_non_uuids() {
        let key = IdempotencyKey::new();
        assert_eq!(IdempotencyKey::parse(&key.to_string()).unwrap(), key);
        assert!(IdempotencyKey::parse("not-a-uuid").is_err());
    }
}
