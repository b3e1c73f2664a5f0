//! UQPay webhook verification and refund-event parsing.
//!
//! `x-wk-signature` is the hex HMAC-SHA512, keyed with the webhook secret, of
//! the raw body bytes followed by the `x-wk-timestamp` header string exactly
//! as received. The timestamp is Unix seconds or milliseconds (≥ 10^12) and
//! must be within the tolerance of `now` (300 s by default), either way.

use std::time::Duration;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use refundkit_core::webhook::{
    check_tolerance, header, hex_signature_matches, parse_unix_timestamp, DEFAULT_TOLERANCE,
};
use refundkit_core::{
    ExposeSecret, OffsetDateTime, RefundEvent, RefundEventKind, SecretString, WebhookError,
};
use sha2::Sha512;

use crate::mapping::refund_from_value;
use crate::wire::WireWebhookEvent;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-wk-signature";
/// The timestamp header (signed together with the body).
pub const TIMESTAMP_HEADER: &str = "x-wk-timestamp";

/// Verifies a delivery with the default 300 s tolerance and parses its refund
/// event. `raw_body` must be the bytes as received (not re-serialized JSON);
/// `now` is your clock.
///
/// ```
/// use refundkit_core::{OffsetDateTime, SecretString};
/// use refundkit_uqpay::webhook;
///
/// let secret = SecretString::from("whsec-example");
/// let body = br#"{"event_name":"ACQUIRING","event_type":"acquiring.refund.succeeded",
///   "event_id":"ff65da37-6fcc-4e3a-a418-547b349aee8b","data":{"payment_refund_id":"RF1",
///   "payment_intent_id":"PI1","amount":"8.88","currency":"SGD","refund_status":"SUCCEEDED"}}"#;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-wk-timestamp", "1776074262".parse()?);
/// headers.insert("x-wk-signature", webhook::sign(&secret, body, 1776074262).parse()?);
///
/// let now = OffsetDateTime::from_unix_timestamp(1776074262)?;
/// let event = webhook::verify_and_parse(&secret, &headers, body, now)?;
/// assert_eq!(event.refund.id.as_str(), "RF1");
/// assert_eq!(event.refund.payment_id.as_deref(), Some("PI1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_and_parse(
    secret: &SecretString,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: OffsetDateTime,
) -> Result<RefundEvent, WebhookError> {
    verify_and_parse_with_tolerance(secret, headers, raw_body, now, DEFAULT_TOLERANCE)
}

/// [`verify_and_parse`] with another tolerance.
pub fn verify_and_parse_with_tolerance(
    secret: &SecretString,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<RefundEvent, WebhookError> {
    let signed_at = verify_signature(secret, headers, raw_body, now, tolerance)?;
    parse_event(raw_body, signed_at)
}

/// The `x-wk-signature` value (lower-case hex) UQPay sends for `raw_body`
/// delivered at `timestamp` (Unix seconds, or milliseconds as UQPay also
/// sends), whose `x-wk-timestamp` header is `timestamp` as decimal text. For
/// your own fixtures and tests.
pub fn sign(secret: &SecretString, raw_body: &[u8], timestamp: i64) -> String {
    let timestamp = timestamp.to_string();
    // HMAC accepts keys of any length, so there is always a MAC.
    signature_mac(secret, raw_body, &timestamp)
        .map(hex::encode)
        .unwrap_or_default()
}

fn signature_mac(
    secret: &SecretString,
    raw_body: &[u8],
    timestamp_header: &str,
) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha512>::new_from_slice(secret.expose_secret().as_bytes()).ok()?;
    mac.update(raw_body);
    mac.update(timestamp_header.as_bytes());
    Some(mac.finalize().into_bytes().to_vec())
}

/// Checks signature then timestamp; returns when the delivery was signed.
fn verify_signature(
    secret: &SecretString,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<OffsetDateTime, WebhookError> {
    if secret.expose_secret().is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let signature = header(headers, &[SIGNATURE_HEADER])?
        .ok_or(WebhookError::MissingHeader(SIGNATURE_HEADER))?;
    let timestamp = header(headers, &[TIMESTAMP_HEADER])?
        .ok_or(WebhookError::MissingHeader(TIMESTAMP_HEADER))?;
    let expected =
        signature_mac(secret, raw_body, timestamp).ok_or(WebhookError::SignatureMismatch)?;
    if !hex_signature_matches(&expected, signature) {
        return Err(WebhookError::SignatureMismatch);
    }
    let signed_at = parse_unix_timestamp(TIMESTAMP_HEADER, timestamp.trim())?;
    check_tolerance(signed_at, now, tolerance)?;
    Ok(signed_at)
}

/// The event's kind, from whichever of `event_type` / `event_name` holds the
/// dotted value. Matched exhaustively on the refund events UQPay documents.
fn event_kind(event_type: &str) -> Result<RefundEventKind, WebhookError> {
    match event_type {
        "acquiring.refund.created" => Ok(RefundEventKind::Created),
        "acquiring.refund.succeeded" => Ok(RefundEventKind::Succeeded),
        "acquiring.refund.failed" => Ok(RefundEventKind::Failed),
        other if other.starts_with("acquiring.refund.") => {
            Ok(RefundEventKind::Other(other.to_string()))
        }
        other => Err(WebhookError::NotARefundEvent(other.to_string())),
    }
}

fn parse_event(raw_body: &[u8], signed_at: OffsetDateTime) -> Result<RefundEvent, WebhookError> {
    let invalid = |why: String| WebhookError::InvalidPayload(why);
    // Value-free messages: serde's own would quote the offending value.
    let envelope: WireWebhookEvent =
        refundkit_core::transport::decode_json(crate::PROVIDER, raw_body)
            .map_err(|e| invalid(format!("body is not a UQPay event: {e}")))?;
    let dotted = |field: &Option<String>| field.clone().filter(|value| value.contains('.'));
    let event_type = dotted(&envelope.event_type)
        .or_else(|| dotted(&envelope.event_name))
        .ok_or_else(|| invalid("neither event_type nor event_name names an event".into()))?;
    let kind = event_kind(&event_type)?;
    let event_id = envelope
        .event_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| invalid("event_id is missing".into()))?;
    let data = envelope
        .data
        .ok_or_else(|| invalid(format!("{event_type} has no data")))?;
    let refund = refund_from_value(data).map_err(|e| invalid(e.to_string()))?;
    Ok(RefundEvent::new(event_id, kind, refund, signed_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(body: &str, timestamp: i64) -> HeaderMap {
        let secret = SecretString::from("s3cret");
        let mut headers = HeaderMap::new();
        headers.insert(TIMESTAMP_HEADER, timestamp.into());
        headers.insert(
            SIGNATURE_HEADER,
            sign(&secret, body.as_bytes(), timestamp).parse().unwrap(),
        );
        headers
    }

    fn parse(body: &str) -> Result<RefundEvent, WebhookError> {
        let now = OffsetDateTime::from_unix_timestamp(1_776_074_262).unwrap();
        let headers = signed(body, 1_776_074_262);
        verify_and_parse(
            &SecretString::from("s3cret"),
            &headers,
            body.as_bytes(),
            now,
        )
    }

    const DATA: &str = r#"{"payment_refund_id":"RF1","payment_intent_id":"PI1","amount":"1.005","currency":"KWD","refund_status":"FAILED"}"#;

    #[test]
    fn swapped_event_name_and_type_are_accepted() {
        let body = format!(
            r#"{{"event_type":"ACQUIRING","event_name":"acquiring.refund.failed","event_id":"e1","data":{DATA}}}"#
        );
        let event = parse(&body).unwrap();
        assert_eq!(event.kind, RefundEventKind::Failed);
        assert_eq!(event.refund.amount.to_major_string(), "1.005");
        assert_eq!(event.refund.payment_id.as_deref(), Some("PI1"));
    }

    #[test]
    fn verified_non_refund_event_is_named() {
        let body = format!(
            r#"{{"event_name":"ACQUIRING","event_type":"acquiring.payment.succeeded","event_id":"e1","data":{DATA}}}"#
        );
        assert_eq!(
            parse(&body).unwrap_err(),
            WebhookError::NotARefundEvent("acquiring.payment.succeeded".into())
        );
    }

    #[test]
    fn verified_event_without_id_or_data_is_an_invalid_payload() {
        for body in [
            format!(r#"{{"event_type":"acquiring.refund.created","data":{DATA}}}"#),
            r#"{"event_type":"acquiring.refund.created","event_id":"e1"}"#.to_string(),
            r#"{"event_type":"acquiring.refund.created","event_id":"e1","data":{"amount":8.88}}"#
                .to_string(),
            "not json".to_string(),
        ] {
            assert!(
                matches!(parse(&body), Err(WebhookError::InvalidPayload(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn empty_secret_is_no_secret() {
        let now = OffsetDateTime::from_unix_timestamp(1_776_074_262).unwrap();
        let error = verify_and_parse(&SecretString::from(""), &signed("{}", 1), b"{}", now);
        assert_eq!(error.unwrap_err(), WebhookError::NoSecret);
    }
}
