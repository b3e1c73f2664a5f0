//! Provider names, refund ids and storable refund references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// Which provider a refund lives at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProviderKind {
    /// UQPay Global Acquiring.
    UqPay,
    /// WooshPay.
    WooshPay,
    /// The in-memory test provider of `refundkit-testkit`.
    InMemory,
}

impl ProviderKind {
    /// Every provider kind.
    pub const ALL: [ProviderKind; 3] = [
        ProviderKind::UqPay,
        ProviderKind::WooshPay,
        ProviderKind::InMemory,
    ];

    /// The lower-case name used in refs, config and JSON (`uqpay`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::UqPay => "uqpay",
            ProviderKind::WooshPay => "wooshpay",
            ProviderKind::InMemory => "memory",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        ProviderKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == lower)
            .ok_or_else(|| {
                // Not quoted: someone may have pasted a key where a name goes.
                ValidationError::new("provider", "names no known provider (uqpay or wooshpay)")
            })
    }
}

impl Serialize for ProviderKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProviderKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A provider's refund id, treated as an opaque string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefundId(String);

/// Longest id we accept from anyone (UQPay's are ≤ 36, WooshPay's shorter).
const MAX_ID_LEN: usize = 255;

impl RefundId {
    /// Checks that the id is a provider id ([`check_provider_id`]): 1 to 255
    /// ASCII letters, digits, `_` and `-`.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        check_provider_id("refund_id", &id)?;
        Ok(Self(id))
    }

    /// The id as the provider wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks an id that a provider issued (payment, refund, attempt ids): 1 to
/// 255 ASCII letters, digits, `_` and `-`, the character set both providers
/// document. Anything else (`/`, `..`, `?`, `%2F`, non-ASCII) is refused
/// before a request could carry it into a URL path. The value is not quoted.
///
/// ```
/// use refundkit_core::check_provider_id;
/// assert!(check_provider_id("payment_id", "PI2043628825316691968").is_ok());
/// assert!(check_provider_id("payment_id", "pi_3MtwBwLkdIwHu7ix28a3tqPa").is_ok());
/// assert_eq!(check_provider_id("payment_id", "../x").unwrap_err().field(), "payment_id");
/// ```
pub fn check_provider_id(field: &'static str, id: &str) -> Result<(), ValidationError> {
    check_opaque_id(field, id)?;
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ValidationError::new(
            field,
            "may contain only ASCII letters, digits, '_' and '-'",
        ));
    }
    Ok(())
}

/// Checks an opaque id of the merchant's (an order id): non-empty, ≤ 255
/// chars, no blanks or controls. Provider ids use [`check_provider_id`].
pub fn check_opaque_id(field: &'static str, id: &str) -> Result<(), ValidationError> {
    if id.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if id.chars().count() > MAX_ID_LEN {
        return Err(ValidationError::new(
            field,
            format!("must be at most {MAX_ID_LEN} characters"),
        ));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValidationError::new(
            field,
            "must not contain blanks or control characters",
        ));
    }
    Ok(())
}

impl crate::secrets::Scrub for RefundId {
    fn scrub(&mut self, secrets: &crate::secrets::Secrets) {
        secrets.scrub_in_place(&mut self.0);
    }
}

impl fmt::Display for RefundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RefundId {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefundId::new(s)
    }
}

impl Serialize for RefundId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RefundId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RefundId::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A refund's address across providers, `provider:id`
/// (`uqpay:RF2043629695899013120`): store it, hand it back to the router later.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefundRef {
    /// The provider holding the refund.
    pub provider: ProviderKind,
    /// The provider's id.
    pub id: RefundId,
}

impl RefundRef {
    /// The ref of refund `id` at `provider`.
    pub fn new(provider: ProviderKind, id: RefundId) -> Self {
        Self { provider, id }
    }
}

impl fmt::Display for RefundRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.id)
    }
}

impl FromStr for RefundRef {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (provider, id) = s
            .split_once(':')
            .ok_or_else(|| ValidationError::new("ref", "is not of the form provider:id"))?;
        Ok(Self {
            provider: provider.parse()?,
            id: RefundId::new(id)?,
        })
    }
}

impl Serialize for RefundRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RefundRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_ref_round_trips_through_text_and_json() {
        let r: RefundRef = "uqpay:RF2043629695899013120".parse().unwrap();
        assert_eq!(r.provider, ProviderKind::UqPay);
        assert_eq!(r.id.as_str(), "RF2043629695899013120");
        assert_eq!(r.to_string(), "uqpay:RF2043629695899013120");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"uqpay:RF2043629695899013120\"");
        assert_eq!(serde_json::from_str::<RefundRef>(&json).unwrap(), r);
    }

    #[test]
    fn malformed_refs_are_refused() {
        for bad in [
            "RF123",
            "stripe:re_1",
            "uqpay:",
            "wooshpay:re 1",
            "uqpay:../RF1",
            "uqpay:RF1/x",
            "uqpay:RF1?x",
            "uqpay:RF1#x",
            "uqpay:RF1%2F",
            "uqpay:RF1é",
        ] {
            assert!(bad.parse::<RefundRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn provider_names_are_case_insensitive() {
        assert_eq!(
            "WooshPay".parse::<ProviderKind>().unwrap(),
            ProviderKind::WooshPay
        );
    }
}
