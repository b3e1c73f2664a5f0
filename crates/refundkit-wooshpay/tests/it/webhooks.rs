//! Webhook signatures against the shared vectors, and refund event parsing.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use httpmock::MockServer;
use refundkit_core::{
    Money, OffsetDateTime, RefundError, RefundEventKind, RefundProvider, RefundStatus,
    SecretString, WebhookError,
};
use refundkit_wooshpay::webhook::{sign, verify_and_parse, verify_and_parse_with_tolerance};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../../tests/fixtures/webhooks.json");

/// One WooshPay vector of the shared fixture file.
struct Vector {
    case: String,
    secret: SecretString,
    headers: HeaderMap,
    body: Vec<u8>,
    now: OffsetDateTime,
    valid: bool,
}

fn vectors() -> Vec<Vector> {
    let file: Value = serde_json::from_str(VECTORS).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["provider"] == "wooshpay")
        .map(|v| {
            let mut headers = HeaderMap::new();
            for (name, value) in v["headers"].as_object().unwrap() {
                headers.insert(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
                );
            }
            Vector {
                case: v["case"].as_str().unwrap().to_string(),
                secret: SecretString::from(v["secret"].as_str().unwrap()),
                headers,
                body: v["body"].as_str().unwrap().as_bytes().to_vec(),
                now: OffsetDateTime::from_unix_timestamp(v["now_unix"].as_i64().unwrap()).unwrap(),
                valid: v["valid"].as_bool().unwrap(),
            }
        })
        .collect()
}

fn vector(case_prefix: &str) -> Vector {
    vectors()
        .into_iter()
        .find(|v| v.case.starts_with(case_prefix))
        .unwrap_or_else(|| panic!("no vector {case_prefix:?}"))
}

fn verify(vector: &Vector) -> Result<refundkit_core::RefundEvent, WebhookError> {
    verify_and_parse(&vector.secret, &vector.headers, &vector.body, vector.now)
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

fn signed(secret: &str, header: &'static str, body: &[u8], t: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = sign(&SecretString::from(secret), body, t);
    headers.insert(header, HeaderValue::from_str(&value).unwrap());
    headers
}

#[test]
fn every_wooshpay_vector_gives_its_stated_result() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 7);
    for vector in &vectors {
        assert_eq!(
            verify(vector).is_ok(),
            vector.valid,
            "{}: {:?}",
            vector.case,
            verify(vector)
        );
    }
}

#[test]
fn valid_signature_gives_the_normalized_refund_event() {
    let event = verify(&vector("valid")).unwrap();
    assert_eq!(event.event_id, "evt_1600745739909070848");
    assert_eq!(event.kind, RefundEventKind::Updated);
    assert_eq!(event.refund.id.as_str(), "re_1787730829493927937");
    assert_eq!(event.refund.amount, Money::parse("10.01", "USD").unwrap());
    assert_eq!(event.refund.status, RefundStatus::Succeeded);
    assert_eq!(
        event.refund.payment_id.as_deref(),
        Some("pi_1787730829493927936")
    );
    assert_eq!(event.signed_at, at(1776074262));
}

#[test]
fn any_matching_v1_passes_when_several_are_sent() {
    assert!(verify(&vector("valid, header name in lower case, two v1")).is_ok());
}

#[test]
fn tampered_body_is_a_signature_mismatch() {
    assert_eq!(
        verify(&vector("tampered body")).unwrap_err(),
        WebhookError::SignatureMismatch
    );
}

#[test]
fn wrong_secret_is_a_signature_mismatch() {
    assert_eq!(
        verify(&vector("wrong secret")).unwrap_err(),
        WebhookError::SignatureMismatch
    );
}

#[test]
fn changed_timestamp_is_a_signature_mismatch() {
    assert_eq!(
        verify(&vector("t changed")).unwrap_err(),
        WebhookError::SignatureMismatch
    );
}

#[test]
fn stale_timestamp_is_too_old() {
    assert!(matches!(
        verify(&vector("stale")),
        Err(WebhookError::TimestampTooOld {
            age_secs: 301,
            tolerance_secs: 300
        })
    ));
}

#[test]
fn missing_header_is_reported_as_such() {
    assert_eq!(
        verify(&vector("missing header")).unwrap_err(),
        WebhookError::MissingHeader("Wooshpay-Signature")
    );
}

#[test]
fn timestamp_from_the_future_is_refused() {
    let v = vector("valid");
    let error = verify_and_parse(&v.secret, &v.headers, &v.body, at(1776074262 - 301)).unwrap_err();
    assert!(
        matches!(
            error,
            WebhookError::TimestampInFuture {
                ahead_secs: 301,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn tolerance_is_configurable() {
    let v = vector("valid");
    let later = at(1776074262 + 600);
    assert!(verify_and_parse(&v.secret, &v.headers, &v.body, later).is_err());
    let wide = verify_and_parse_with_tolerance(
        &v.secret,
        &v.headers,
        &v.body,
        later,
        Duration::from_secs(900),
    );
    assert!(wide.is_ok());
}

#[test]
fn aliases_and_millisecond_timestamps_are_accepted() {
    let body = vector("valid").body;
    for header in ["x-wooshpay-signature", "signature", "wooshpay-signature"] {
        let headers = signed("whsec_exampleSecret123", header, &body, 1776074262123);
        let secret = SecretString::from("whsec_exampleSecret123");
        let event = verify_and_parse(&secret, &headers, &body, at(1776074262)).unwrap();
        assert_eq!(event.signed_at.unix_timestamp(), 1776074262, "{header}");
    }
}

#[test]
fn header_without_t_or_v1_is_malformed() {
    let v = vector("valid");
    for value in ["v1=35b2445e", "t=1776074262", "garbage"] {
        let mut headers = HeaderMap::new();
        headers.insert("wooshpay-signature", HeaderValue::from_static(value));
        let error = verify_and_parse(&v.secret, &headers, &v.body, v.now).unwrap_err();
        assert!(
            matches!(error, WebhookError::MalformedHeader { .. }),
            "{value}: {error:?}"
        );
    }
}

#[test]
fn verified_event_about_something_else_is_not_a_refund_event() {
    let body = br#"{"id":"evt_2","object":"event","type":"payment_intent.succeeded",
        "data":{"object":{"id":"pi_1","object":"payment_intent","amount":1001,"currency":"usd"}}}"#;
    let secret = SecretString::from("whsec_x");
    let headers = signed("whsec_x", "wooshpay-signature", body, 1776074262);
    let error = verify_and_parse(&secret, &headers, body, at(1776074262)).unwrap_err();
    assert_eq!(
        error,
        WebhookError::NotARefundEvent("payment_intent.succeeded".into())
    );
}

#[test]
fn refund_event_types_give_their_kinds() {
    let secret = SecretString::from("whsec_x");
    for (event_type, kind) in [
        ("refund.created", RefundEventKind::Created),
        ("refund.succeeded", RefundEventKind::Succeeded),
        ("refund.failed", RefundEventKind::Failed),
        ("refund.updated", RefundEventKind::Updated),
        ("charge.refund.updated", RefundEventKind::Updated),
        (
            "refund.reversed",
            RefundEventKind::Other("refund.reversed".into()),
        ),
    ] {
        let body = format!(
            r#"{{"id":"evt_3","type":"{event_type}","data":{{"object":{{"id":"re_1","object":"refund",
            "amount":1000,"currency":"JPY","status":"pending"}}}}}}"#
        );
        let headers = signed("whsec_x", "wooshpay-signature", body.as_bytes(), 1776074262);
        let event = verify_and_parse(&secret, &headers, body.as_bytes(), at(1776074262)).unwrap();
        assert_eq!(event.kind, kind, "{event_type}");
        assert_eq!(event.refund.amount, Money::parse("1000", "JPY").unwrap());
    }
}

#[test]
fn unreadable_refund_in_a_verified_event_is_an_invalid_payload() {
    let body = br#"{"id":"evt_4","type":"refund.updated","data":{"object":{"id":"re_1","object":"refund"}}}"#;
    let headers = signed("whsec_x", "wooshpay-signature", body, 1776074262);
    let error = verify_and_parse(
        &SecretString::from("whsec_x"),
        &headers,
        body,
        at(1776074262),
    )
    .unwrap_err();
    assert!(
        matches!(error, WebhookError::InvalidPayload(_)),
        "{error:?}"
    );
}

#[test]
fn empty_secret_verifies_nothing() {
    let body = b"{}";
    let headers = signed("", "wooshpay-signature", body, 1776074262);
    let error =
        verify_and_parse(&SecretString::from(""), &headers, body, at(1776074262)).unwrap_err();
    assert_eq!(error, WebhookError::NoSecret);
}

#[test]
fn sign_produces_the_documented_header_format() {
    let v = vector("valid");
    let header = v
        .headers
        .get("wooshpay-signature")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(sign(&v.secret, &v.body, 1776074262), header);
}

#[tokio::test]
async fn client_verifies_with_its_configured_secret_or_reports_none() {
    let server = MockServer::start_async().await;
    let client = crate::common::client(&server);
    let body = vector("valid").body;
    let headers = signed(
        crate::common::WEBHOOK_SECRET,
        "wooshpay-signature",
        &body,
        1776074262,
    );
    let event = client
        .verify_webhook(&headers, &body, at(1776074262))
        .unwrap();
    assert_eq!(event.provider(), refundkit_wooshpay::PROVIDER);

    let config =
        refundkit_wooshpay::WooshPayConfig::builder(SecretString::from(crate::common::KEY))
            .build()
            .unwrap();
    let without = refundkit_wooshpay::WooshPayClient::new(config).unwrap();
    let error = without
        .verify_webhook(&headers, &body, at(1776074262))
        .unwrap_err();
    assert!(
        matches!(error, RefundError::Webhook(WebhookError::NoSecret)),
        "{error:?}"
    );
}
