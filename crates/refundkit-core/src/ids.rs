//! Provider names, refund ids and storable refund references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::ValidationError;

/// Longest provider name (it is held inline: a `ProviderId` is 24 bytes).
pub const MAX_PROVIDER_ID_LEN: usize = 23;

/// A provider's name: 1 to 23 lower-case ASCII letters, digits, `-` and `_`,
/// starting with a letter (`acme`, `in-house-ledger`). The set is open: each
/// adapter crate defines its own (`PROVIDER` in the adapter), and so can a
/// merchant's own provider. It is the `name` of a [`RefundRef`] (`name:id`)
/// and the key the router, config and CLI use.
///
/// `Copy`, no allocation: the name is held inline.
///
/// ```
/// use refundkit_core::ProviderId;
///
/// const ACME: ProviderId = ProviderId::from_static("acme");
/// assert_eq!(ACME.as_str(), "acme");
/// assert_eq!("ACME".parse::<ProviderId>()?, ACME); // text is read case-insensitively
/// assert_eq!("acme pay".parse::<ProviderId>().unwrap_err().field(), "provider");
/// # Ok::<(), refundkit_core::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderId {
    // `bytes[..len]` is the name; the rest is zero, so derived comparisons
    // order and compare by name.
    bytes: [u8; MAX_PROVIDER_ID_LEN],
    len: u8,
}

/// Why a name is not a provider id, or `None` when it is one.
const fn provider_id_problem(name: &[u8]) -> Option<&'static str> {
    let mut rest = name;
    let mut first = true;
    let mut len = 0usize;
    while let [byte, tail @ ..] = rest {
        let ok = byte.is_ascii_lowercase()
            || (!first && (byte.is_ascii_digit() || *byte == b'-' || *byte == b'_'));
        if !ok {
            return Some(
                "must be lower-case ASCII letters, digits, '-' and '_', starting with a letter",
            );
        }
        first = false;
        len += 1;
        rest = tail;
    }
    if len == 0 {
        Some("must not be empty")
    } else if len > MAX_PROVIDER_ID_LEN {
        Some("must be at most 23 characters")
    } else {
        None
    }
}

impl ProviderId {
    /// The id named by a constant. Evaluated in a `const`, an invalid name is
    /// a compile error; call [`str::parse`] for names read at run time.
    pub const fn from_static(name: &'static str) -> Self {
        if let Some(problem) = provider_id_problem(name.as_bytes()) {
            panic!("{}", problem);
        }
        Self::copy_of(name.as_bytes())
    }

    /// Copies a checked name (at most `MAX_PROVIDER_ID_LEN` bytes) inline.
    const fn copy_of(name: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_PROVIDER_ID_LEN];
        let mut slots: &mut [u8] = &mut bytes;
        let mut rest = name;
        let mut len = 0u8;
        while let ([byte, tail @ ..], [slot, more @ ..]) = (rest, slots) {
            *slot = *byte;
            rest = tail;
            slots = more;
            len += 1;
        }
        Self { bytes, len }
    }

    /// The name (`acme`).
    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|name| std::str::from_utf8(name).ok())
            .unwrap_or_default()
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl FromStr for ProviderId {
    type Err = ValidationError;
    /// Reads a name, trimmed and case-insensitively. The refused text is not
    /// quoted: someone may have pasted a key where a name goes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.len() > MAX_PROVIDER_ID_LEN {
            return Err(ValidationError::new(
                "provider",
                "must be at most 23 characters",
            ));
        }
        let mut lower = [0u8; MAX_PROVIDER_ID_LEN];
        let mut len = 0usize;
        for (slot, byte) in lower.iter_mut().zip(trimmed.bytes()) {
            *slot = byte.to_ascii_lowercase();
            len += 1;
        }
        let name = lower.get(..len).unwrap_or_default();
        match provider_id_problem(name) {
            Some(problem) => Err(ValidationError::new("provider", problem)),
            None => Ok(Self::copy_of(name)),
        }
    }
}

impl Serialize for ProviderId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProviderId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A provider's refund id, treated as an opaque string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefundId(String);

/// Longest id we accept from anyone (providers' ids are far shorter).
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
    // One pass over the bytes for the ids that pass (all of them, nearly),
    // one table lookup per byte; the checks below only word the refusal.
    let plain = |b: u8| ID_BYTES.get(usize::from(b)).copied().unwrap_or(false);
    if !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(plain) {
        return Ok(());
    }
    check_opaque_id(field, id)?;
    Err(ValidationError::new(
        field,
        "may contain only ASCII letters, digits, '_' and '-'",
    ))
}

/// Whether each byte may appear in a provider id: ASCII letters, digits,
/// `_` and `-`.
// Indexed at compile time only: an index out of bounds would not compile.
#[allow(clippy::indexing_slicing)]
static ID_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        byte += 1;
    }
    table
};

/// Checks an opaque id of the merchant's (an order id): non-empty, ≤ 255
/// chars, no blanks or controls. Provider ids use [`check_provider_id`].
pub fn check_opaque_id(field: &'static str, id: &str) -> Result<(), ValidationError> {
    if id.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    // Printable ASCII (no space, no DEL) passes in one pass over the bytes.
    if id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(());
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
/// (`acme:RF2043629695899013120`): store it, hand it back to the router later.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefundRef {
    /// The provider holding the refund.
    pub provider: ProviderId,
    /// The provider's id.
    pub id: RefundId,
}

impl RefundRef {
    /// The ref of refund `id` at `provider`.
    pub fn new(provider: ProviderId, id: RefundId) -> Self {
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

/// Neutral names for core's own tests: core names no real provider.
#[cfg(test)]
pub(crate) const SAMPLE_PROVIDER: ProviderId = ProviderId::from_static("acme");
/// A second neutral name, where a test needs two providers.
#[cfg(test)]
pub(crate) const OTHER_PROVIDER: ProviderId = ProviderId::from_static("globex");

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: ProviderId = ProviderId::from_static("acme");

    #[test]
    fn a_provider_id_may_hold_only_letters_digits_underscore_and_dash() {
        for byte in 0..=u8::MAX {
            let id = [b'a', byte, b'z'];
            let Ok(id) = std::str::from_utf8(&id) else {
                continue;
            };
            let plain = byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
            assert_eq!(check_provider_id("refund_id", id).is_ok(), plain, "{id:?}");
        }
        assert!(check_provider_id("refund_id", "aé").is_err());
    }

    #[test]
    fn refund_ref_round_trips_through_text_and_json() {
        let r: RefundRef = "acme:RF2043629695899013120".parse().unwrap();
        assert_eq!(r.provider, ACME);
        assert_eq!(r.id.as_str(), "RF2043629695899013120");
        assert_eq!(r.to_string(), "acme:RF2043629695899013120");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"acme:RF2043629695899013120\"");
        assert_eq!(serde_json::from_str::<RefundRef>(&json).unwrap(), r);
    }

    #[test]
    fn malformed_refs_are_refused() {
        for bad in [
            "RF123",
            "acme:",
            ":RF1",
            "acme pay:RF1",
            "1acme:RF1",
            "acme:re 1",
            "acme:../RF1",
            "acme:RF1/x",
            "acme:RF1?x",
            "acme:RF1#x",
            "acme:RF1%2F",
            "acme:RF1é",
        ] {
            assert!(bad.parse::<RefundRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn any_well_formed_name_is_a_provider() {
        let id: ProviderId = "In-House_Ledger2".parse().unwrap();
        assert_eq!(id.as_str(), "in-house_ledger2");
        assert_eq!(id, ProviderId::from_static("in-house_ledger2"));
        let longest = "a".repeat(MAX_PROVIDER_ID_LEN);
        assert_eq!(longest.parse::<ProviderId>().unwrap().as_str(), longest);
        assert_eq!(format!("{ACME} {ACME:?}"), "acme \"acme\"");
        assert_eq!(serde_json::to_string(&ACME).unwrap(), "\"acme\"");
        assert_eq!(
            serde_json::from_str::<ProviderId>("\"acme\"").unwrap(),
            ACME
        );
    }

    #[test]
    fn malformed_names_are_refused_without_quoting_them() {
        let too_long = "a".repeat(MAX_PROVIDER_ID_LEN + 1);
        for bad in [
            "",
            " ",
            "acme:x",
            "sk_live_é",
            "-acme",
            "9acme",
            "a.b",
            &too_long,
        ] {
            let error = bad.parse::<ProviderId>().unwrap_err();
            assert_eq!(error.field(), "provider", "{bad}");
            if !bad.trim().is_empty() {
                assert!(!error.to_string().contains(bad), "{error}");
            }
        }
    }

    #[test]
    fn names_order_as_text() {
        let mut ids: Vec<ProviderId> = ["zeta", "acme", "ac", "b"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        ids.sort();
        let names: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        assert_eq!(names, ["ac", "acme", "b", "zeta"]);
    }
}
