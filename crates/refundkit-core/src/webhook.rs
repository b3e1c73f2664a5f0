//! Verified webhook events and the pieces every signature check shares.

use std::time::Duration;

use http::HeaderMap;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::ids::ProviderId;
use crate::refund::Refund;

/// Default allowed distance between a webhook's timestamp and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// A webhook that passed signature verification, normalized. Serializes as
/// `{"event_id", "kind", "refund", "signed_at"}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct RefundEvent {
    /// The provider's event id: deduplicate deliveries by it.
    pub event_id: String,
    /// What happened.
    pub kind: RefundEventKind,
    /// The refund as the event carried it. Re-read it with `get_refund` before
    /// acting on money: events may arrive late or out of order.
    pub refund: Refund,
    /// When the provider signed the delivery.
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
}

impl RefundEvent {
    /// An event about `refund`.
    pub fn new(
        event_id: impl Into<String>,
        kind: RefundEventKind,
        refund: Refund,
        signed_at: OffsetDateTime,
    ) -> Self {
        Self {
            event_id: event_id.into(),
            kind,
            refund,
            signed_at,
        }
    }

    /// The provider that sent it.
    pub fn provider(&self) -> ProviderId {
        self.refund.provider
    }
}

/// The kind of refund event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundEventKind {
    /// A refund was created.
    Created,
    /// A refund succeeded.
    Succeeded,
    /// A refund failed.
    Failed,
    /// A refund changed (read its status).
    Updated,
    /// Another refund event type, kept raw.
    Other(String),
}

impl RefundEventKind {
    /// The snake_case name (`created`), or the raw event type for `Other`.
    pub fn as_str(&self) -> &str {
        match self {
            RefundEventKind::Created => "created",
            RefundEventKind::Succeeded => "succeeded",
            RefundEventKind::Failed => "failed",
            RefundEventKind::Updated => "updated",
            RefundEventKind::Other(raw) => raw,
        }
    }
}

impl serde::Serialize for RefundEventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a webhook was refused. Answer 400 for these and do not act on the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No webhook secret is configured for this provider.
    #[error("no webhook secret is configured")]
    NoSecret,
    /// A required header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header is present but unreadable.
    #[error("malformed header {header}: {reason}")]
    MalformedHeader {
        /// The header.
        header: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A signature or timestamp header appears more than once, or its aliases
    /// disagree: which value was signed cannot be told.
    #[error("header {0} appears more than once or its aliases disagree")]
    AmbiguousHeader(&'static str),
    /// The signature does not match the body (tampered body or wrong secret).
    #[error("signature does not match the body")]
    SignatureMismatch,
    /// Signed longer ago than the tolerance (a replay, or a very late delivery).
    #[error("signed {age_secs} s ago, beyond the {tolerance_secs} s tolerance")]
    TimestampTooOld {
        /// Seconds since signing.
        age_secs: i64,
        /// Allowed seconds.
        tolerance_secs: u64,
    },
    /// Signed in the future beyond the tolerance (clock skew or forgery).
    #[error("signed {ahead_secs} s in the future, beyond the {tolerance_secs} s tolerance")]
    TimestampInFuture {
        /// Seconds ahead of now.
        ahead_secs: i64,
        /// Allowed seconds.
        tolerance_secs: u64,
    },
    /// The verified body is not a refund event we can read.
    #[error("verified event is not a readable refund event: {0}")]
    InvalidPayload(String),
    /// The verified body is an event about something other than a refund.
    #[error("verified event {0:?} is not a refund event")]
    NotARefundEvent(String),
}

/// The value of the header called `names` (one name and its aliases;
/// lookups are case-insensitive). A delivery where the header appears more
/// than once, or where aliases carry different values, is refused as
/// [`WebhookError::AmbiguousHeader`]: which one was signed cannot be told.
pub fn header<'a>(
    headers: &'a HeaderMap,
    names: &[&'static str],
) -> Result<Option<&'a str>, WebhookError> {
    let mut found: Option<&'a str> = None;
    for name in names {
        let mut values = headers.get_all(*name).iter();
        let Some(value) = values.next() else {
            continue;
        };
        if values.next().is_some() {
            return Err(WebhookError::AmbiguousHeader(name));
        }
        let value = value.to_str().map_err(|_| WebhookError::MalformedHeader {
            header: name,
            reason: "not visible ASCII".into(),
        })?;
        match found {
            Some(earlier) if earlier != value => return Err(WebhookError::AmbiguousHeader(name)),
            _ => found = Some(value),
        }
    }
    Ok(found)
}

/// Reads a Unix timestamp in seconds, or milliseconds when ≥ 10^12.
pub fn parse_unix_timestamp(
    header: &'static str,
    text: &str,
) -> Result<OffsetDateTime, WebhookError> {
    let malformed = |reason: &str| WebhookError::MalformedHeader {
        header,
        reason: reason.to_string(),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("not a whole number of seconds or milliseconds"));
    }
    let value: i64 = text.parse().map_err(|_| malformed("out of range"))?;
    let nanos = if value >= 1_000_000_000_000 {
        i128::from(value) * 1_000_000
    } else {
        i128::from(value) * 1_000_000_000
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| malformed("out of range"))
}

/// Refuses timestamps further than `tolerance` from `now`, either way.
pub fn check_tolerance(
    signed_at: OffsetDateTime,
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let tolerance_secs = tolerance.as_secs();
    let limit = i64::try_from(tolerance_secs).unwrap_or(i64::MAX);
    let age = (now - signed_at).whole_seconds();
    if age > limit {
        return Err(WebhookError::TimestampTooOld {
            age_secs: age,
            tolerance_secs,
        });
    }
    if -age > limit {
        return Err(WebhookError::TimestampInFuture {
            ahead_secs: -age,
            tolerance_secs,
        });
    }
    Ok(())
}

/// Compares a computed MAC with a hex signature (either case) in constant time.
pub fn hex_signature_matches(expected_mac: &[u8], provided_hex: &str) -> bool {
    match hex::decode(provided_hex.trim()) {
        Ok(provided) => {
            provided.len() == expected_mac.len() && bool::from(provided.ct_eq(expected_mac))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_seconds_and_milliseconds_agree() {
        let s = parse_unix_timestamp("t", "1776074262").unwrap();
        let ms = parse_unix_timestamp("t", "1776074262123").unwrap();
        assert_eq!(s.unix_timestamp(), ms.unix_timestamp());
        assert!(parse_unix_timestamp("t", "1776074262.0").is_err());
        assert!(parse_unix_timestamp("t", "-5").is_err());
    }

    #[test]
    fn tolerance_is_symmetric_and_inclusive() {
        let t = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let five_min = DEFAULT_TOLERANCE;
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(1_000_000 + s).unwrap();
        assert!(check_tolerance(t, at(300), five_min).is_ok());
        assert!(check_tolerance(t, at(-300), five_min).is_ok());
        assert!(matches!(
            check_tolerance(t, at(301), five_min),
            Err(WebhookError::TimestampTooOld { .. })
        ));
        assert!(matches!(
            check_tolerance(t, at(-301), five_min),
            Err(WebhookError::TimestampInFuture { .. })
        ));
    }

    #[test]
    fn repeated_headers_and_disagreeing_aliases_are_ambiguous() {
        use http::HeaderValue;
        let mut headers = HeaderMap::new();
        headers.append("x-sig", HeaderValue::from_static("aa"));
        assert_eq!(header(&headers, &["x-sig"]), Ok(Some("aa")));
        headers.insert("x-sig-alias", HeaderValue::from_static("aa"));
        assert_eq!(header(&headers, &["x-sig", "x-sig-alias"]), Ok(Some("aa")));
        headers.insert("x-sig-alias", HeaderValue::from_static("bb"));
        assert_eq!(
            header(&headers, &["x-sig", "x-sig-alias"]),
            Err(WebhookError::AmbiguousHeader("x-sig-alias"))
        );
        headers.append("x-sig", HeaderValue::from_static("cc"));
        assert_eq!(
            header(&headers, &["x-sig"]),
            Err(WebhookError::AmbiguousHeader("x-sig"))
        );
    }

    #[test]
    fn hex_compare_accepts_either_case_and_refuses_garbage() {
        assert!(hex_signature_matches(&[0xab, 0xcd], "ABcd"));
        assert!(!hex_signature_matches(&[0xab, 0xcd], "abce"));
        assert!(!hex_signature_matches(&[0xab, 0xcd], "abcd00"));
        assert!(!hex_signature_matches(&[0xab, 0xcd], "zz"));
    }
}
