//! WooshPay webhook signatures (`Wooshpay-Signature: t=…,v1=…`) and refund
//! events.
//!
//! The signature is the hex HMAC-SHA256 of `"{t}.{raw body}"` keyed with the
//! endpoint secret (`whsec_…`, used as bytes). Any matching `v1` passes (more
//! than one appears while a secret is rolled); `t` must be within the
//! tolerance of `now` (300 s by default), in seconds or milliseconds.
//!
//! ```
//! use refundkit_core::{OffsetDateTime, RefundEventKind, SecretString};
//! use refundkit_wooshpay::webhook;
//!
//! let secret = SecretString::from("whsec_example");
//! let body = br#"{"id":"evt_1","type":"charge.refund.updated","data":{"object":{
//!     "id":"re_1","object":"refund","amount":1001,"currency":"usd","status":"succeeded"}}}"#;
//! let mut headers = http::HeaderMap::new();
//! headers.insert("wooshpay-signature", webhook::sign(&secret, body, 1776074262).parse()?);
//!
//! let now = OffsetDateTime::from_unix_timestamp(1776074262)?;
//! let event = webhook::verify_and_parse(&secret, &headers, body, now)?;
//! assert_eq!(event.kind, RefundEventKind::Updated);
//! assert_eq!(event.refund.id.as_str(), "re_1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use refundkit_core::webhook::{
    check_tolerance, header, hex_signature_matches, parse_unix_timestamp, DEFAULT_TOLERANCE,
};
use refundkit_core::{
    ExposeSecret, OffsetDateTime, RefundEvent, RefundEventKind, SecretString, WebhookError,
};
use serde_json::Value;
use sha2::Sha256;

use crate::mapping::{refund_from_wire, CurrencyExponents};
use crate::wire::{WireRefund, WireWebhookEvent};

/// The signature header as WooshPay documents it.
pub const SIGNATURE_HEADER: &str = "Wooshpay-Signature";

/// Header names the signature is read from, in order (lookups ignore case):
/// the documented one, then aliases seen in integrations.
pub const SIGNATURE_HEADERS: [&str; 3] =
    ["wooshpay-signature", "x-wooshpay-signature", "signature"];

/// Verifies a delivery with the default 300 s tolerance and parses its refund
/// event. `raw_body` must be the exact bytes received; `now` is your clock.
pub fn verify_and_parse(
    secret: &SecretString,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: OffsetDateTime,
) -> Result<RefundEvent, WebhookError> {
    verify_and_parse_with_tolerance(secret, headers, raw_body, now, DEFAULT_TOLERANCE)
}

/// [`verify_and_parse`] with the allowed clock distance set.
pub fn verify_and_parse_with_tolerance(
    secret: &SecretString,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<RefundEvent, WebhookError> {
    verify_and_parse_with(
        secret,
        headers,
        raw_body,
        now,
        tolerance,
        &CurrencyExponents::default(),
    )
}

/// The full check with the currency exponents of a configured client.
pub(crate) fn verify_and_parse_with(
    secret: &SecretString,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
    exponents: &CurrencyExponents,
) -> Result<RefundEvent, WebhookError> {
    let signed_at = verify_signature(secret, headers, raw_body, now, tolerance)?;
    parse_event(raw_body, signed_at, exponents)
}

/// Checks the signature and the timestamp only, for any event type; returns
/// when the delivery was signed.
pub fn verify_signature(
    secret: &SecretString,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<OffsetDateTime, WebhookError> {
    if secret.expose_secret().is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let value = header(headers, &SIGNATURE_HEADERS)?
        .ok_or(WebhookError::MissingHeader(SIGNATURE_HEADER))?;
    let parsed = parse_signature_header(value)?;
    let signed_at = parse_unix_timestamp(SIGNATURE_HEADER, parsed.timestamp)?;
    let expected = signature_mac(secret, parsed.timestamp, raw_body)?;
    // Check every v1 without stopping early, so timing does not tell which matched.
    let matched = parsed.signatures.iter().fold(false, |matched, signature| {
        matched | hex_signature_matches(&expected, signature)
    });
    if !matched {
        return Err(WebhookError::SignatureMismatch);
    }
    check_tolerance(signed_at, now, tolerance)?;
    Ok(signed_at)
}

/// The `Wooshpay-Signature` value for `raw_body` signed at `timestamp` (Unix
/// seconds): `t=…,v1=…`. For your own fixtures and tests.
pub fn sign(secret: &SecretString, raw_body: &[u8], timestamp: i64) -> String {
    let timestamp = timestamp.to_string();
    // HMAC takes keys of any length, so `signature_mac` cannot fail here.
    let signature = signature_mac(secret, &timestamp, raw_body)
        .map(hex::encode)
        .unwrap_or_default();
    format!("t={timestamp},v1={signature}")
}

/// `t` and every `v1` of a signature header; other elements are ignored.
struct SignatureHeader<'a> {
    timestamp: &'a str,
    signatures: Vec<&'a str>,
}

fn parse_signature_header(value: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let malformed = |reason: &str| WebhookError::MalformedHeader {
        header: SIGNATURE_HEADER,
        reason: reason.to_string(),
    };
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for element in value.split(',') {
        let Some((key, value)) = element.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" if timestamp.is_some() => return Err(malformed("more than one t")),
            "t" => timestamp = Some(value.trim()),
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| malformed("no t= timestamp"))?;
    if signatures.is_empty() {
        return Err(malformed("no v1= signature"));
    }
    Ok(SignatureHeader {
        timestamp,
        signatures,
    })
}

/// HMAC-SHA256 of `"{timestamp}.{body}"` keyed with the secret's bytes.
fn signature_mac(
    secret: &SecretString,
    timestamp: &str,
    body: &[u8],
) -> Result<Vec<u8>, WebhookError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .map_err(|_| WebhookError::SignatureMismatch)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac.finalize().into_bytes().to_vec())
}

/// The refund event in a verified body.
fn parse_event(
    raw_body: &[u8],
    signed_at: OffsetDateTime,
    exponents: &CurrencyExponents,
) -> Result<RefundEvent, WebhookError> {
    let invalid = |why: String| WebhookError::InvalidPayload(why);
    // Value-free messages: serde's own would quote the offending value.
    let event: WireWebhookEvent = refundkit_core::transport::decode_json(crate::PROVIDER, raw_body)
        .map_err(|e| invalid(format!("not a JSON event: {e}")))?;
    let event_type = event.event_type.unwrap_or_default();
    let object = event.data.and_then(|data| data.object);
    let object_is_refund = object
        .as_ref()
        .and_then(|o| o.get("object"))
        .and_then(Value::as_str)
        == Some("refund");
    if !object_is_refund && !is_refund_event_type(&event_type) {
        return Err(WebhookError::NotARefundEvent(event_type));
    }
    let event_id = event
        .id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| invalid("event has no id".into()))?;
    let object = object.ok_or_else(|| invalid("event has no data.object".into()))?;
    let wire: WireRefund = refundkit_core::transport::decode_value(crate::PROVIDER, object.clone())
        .map_err(|e| invalid(format!("data.object is not a refund: {e}")))?;
    let raw = refundkit_core::RawJson::from_value(&object);
    let refund = refund_from_wire(wire, raw, exponents).map_err(|e| invalid(e.to_string()))?;
    Ok(RefundEvent::new(
        event_id,
        event_kind(&event_type),
        refund,
        signed_at,
    ))
}

fn is_refund_event_type(event_type: &str) -> bool {
    event_type == "charge.refund.updated" || event_type.starts_with("refund.")
}

fn event_kind(event_type: &str) -> RefundEventKind {
    match event_type {
        "refund.created" => RefundEventKind::Created,
        "refund.succeeded" => RefundEventKind::Succeeded,
        "refund.failed" => RefundEventKind::Failed,
        "charge.refund.updated" | "refund.updated" => RefundEventKind::Updated,
        other => RefundEventKind::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing_keeps_t_and_every_v1() {
        let parsed = parse_signature_header("t=1, v1=aa ,v0=zz,v1=bb,junk").unwrap();
        assert_eq!(parsed.timestamp, "1");
        assert_eq!(parsed.signatures, ["aa", "bb"]);
    }

    #[test]
    fn header_without_t_or_v1_or_with_two_t_is_malformed() {
        for value in ["v1=aa", "t=1", "t=1,t=2,v1=aa", ""] {
            assert!(
                matches!(
                    parse_signature_header(value),
                    Err(WebhookError::MalformedHeader { .. })
                ),
                "{value}"
            );
        }
    }

    #[test]
    fn event_kinds_follow_the_type() {
        for (event_type, kind) in [
            ("refund.created", RefundEventKind::Created),
            ("refund.succeeded", RefundEventKind::Succeeded),
            ("refund.failed", RefundEventKind::Failed),
            ("refund.updated", RefundEventKind::Updated),
            ("charge.refund.updated", RefundEventKind::Updated),
            (
                "refund.canceled",
                RefundEventKind::Other("refund.canceled".into()),
            ),
        ] {
            assert_eq!(event_kind(event_type), kind);
        }
    }
}
