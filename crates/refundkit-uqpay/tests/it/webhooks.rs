//! Webhook verification against the shared signature vectors.

use std::time::Duration;

use http::HeaderMap;
use httpmock::MockServer;
use refundkit_core::{
    OffsetDateTime, RefundError, RefundEventKind, RefundStatus, SecretString, WebhookError,
};
use refundkit_uqpay::{webhook, RefundProvider, UqPayClient};
use serde_json::Value;

use crate::common::*;

struct Vector {
    case: String,
    secret: SecretString,
    headers: HeaderMap,
    body: String,
    now: OffsetDateTime,
    valid: bool,
}

fn uqpay_vectors() -> Vec<Vector> {
    let file: Value = serde_json::from_str(WEBHOOK_VECTORS).unwrap();
    let vectors: Vec<Vector> = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["provider"] == "uqpay")
        .map(|v| {
            let mut headers = HeaderMap::new();
            for (name, value) in v["headers"].as_object().unwrap() {
                headers.insert(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.as_str().unwrap().parse().unwrap(),
                );
            }
            Vector {
                case: v["case"].as_str().unwrap().to_string(),
                secret: SecretString::from(v["secret"].as_str().unwrap()),
                headers,
                body: v["body"].as_str().unwrap().to_string(),
                now: OffsetDateTime::from_unix_timestamp(v["now_unix"].as_i64().unwrap()).unwrap(),
                valid: v["valid"].as_bool().unwrap(),
            }
        })
        .collect();
    assert_eq!(vectors.len(), 8, "every UQPay vector is exercised");
    vectors
}

fn verify(vector: &Vector) -> Result<refundkit_core::RefundEvent, WebhookError> {
    webhook::verify_and_parse(
        &vector.secret,
        &vector.headers,
        vector.body.as_bytes(),
        vector.now,
    )
}

#[test]
fn every_uqpay_vector_gives_its_stated_result() {
    for vector in uqpay_vectors() {
        let result = verify(&vector);
        assert_eq!(result.is_ok(), vector.valid, "{}: {result:?}", vector.case);
    }
}

#[test]
fn each_failure_has_its_own_error() {
    let expected = |case: &str| -> Option<WebhookError> {
        Some(match case {
            "tampered body" | "wrong secret" => WebhookError::SignatureMismatch,
            "timestamp header re-formatted (signature covers the header string as sent)" => {
                WebhookError::SignatureMismatch
            }
            "stale: 301 s after the timestamp" => WebhookError::TimestampTooOld {
                age_secs: 301,
                tolerance_secs: 300,
            },
            "from the future: 301 s before the timestamp" => WebhookError::TimestampInFuture {
                ahead_secs: 301,
                tolerance_secs: 300,
            },
            "missing signature header" => WebhookError::MissingHeader("x-wk-signature"),
            _ => return None,
        })
    };
    for vector in uqpay_vectors().iter().filter(|v| !v.valid) {
        let error = verify(vector).unwrap_err();
        let wanted =
            expected(&vector.case).unwrap_or_else(|| panic!("unlisted case {}", vector.case));
        assert_eq!(error, wanted, "{}", vector.case);
    }

    let valid = uqpay_vectors().into_iter().find(|v| v.valid).unwrap();
    let mut headers = valid.headers.clone();
    headers.remove("x-wk-timestamp");
    let missing_timestamp =
        webhook::verify_and_parse(&valid.secret, &headers, valid.body.as_bytes(), valid.now);
    assert_eq!(
        missing_timestamp.unwrap_err(),
        WebhookError::MissingHeader("x-wk-timestamp")
    );
}

#[test]
fn valid_vectors_parse_into_the_refund_event() {
    for vector in uqpay_vectors().iter().filter(|v| v.valid) {
        let event = verify(vector).unwrap();
        assert_eq!(event.event_id, "ff65da37-6fcc-4e3a-a418-547b349aee8b");
        assert_eq!(event.kind, RefundEventKind::Created);
        assert_eq!(event.signed_at.unix_timestamp(), 1_776_074_262);
        let refund = &event.refund;
        assert_eq!(refund.id.as_str(), "RF2043629695899013120");
        assert_eq!(refund.payment_id.as_deref(), Some("PI2043628825316691968"));
        assert_eq!(refund.amount, money("8.88", "SGD"));
        assert_eq!(refund.status, RefundStatus::Pending);
        assert_eq!(refund.metadata["order_id"], "order_6789");
    }
}

#[test]
fn sign_reproduces_the_official_signatures() {
    for vector in uqpay_vectors().iter().filter(|v| v.valid) {
        let timestamp: i64 = vector.headers["x-wk-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let signature = webhook::sign(&vector.secret, vector.body.as_bytes(), timestamp);
        assert_eq!(
            signature,
            vector.headers["x-wk-signature"].to_str().unwrap()
        );
    }
}

#[test]
fn upper_case_hex_signatures_verify() {
    let mut vector = uqpay_vectors().into_iter().find(|v| v.valid).unwrap();
    let upper = vector.headers["x-wk-signature"]
        .to_str()
        .unwrap()
        .to_ascii_uppercase();
    vector
        .headers
        .insert("x-wk-signature", upper.parse().unwrap());
    assert!(verify(&vector).is_ok());
}

#[tokio::test]
async fn client_verifies_with_its_configured_secret_and_tolerance() {
    let server = MockServer::start_async().await;
    let vector = uqpay_vectors().into_iter().find(|v| v.valid).unwrap();
    let body = vector.body.as_bytes();

    let without_secret = client(&server);
    let error = without_secret
        .verify_webhook(&vector.headers, body, vector.now)
        .unwrap_err();
    assert!(
        matches!(error, RefundError::Webhook(WebhookError::NoSecret)),
        "{error}"
    );

    let config = config_builder(&server)
        .webhook_secret(SecretString::from("uqpay-webhook-secret-example"))
        .webhook_tolerance(Duration::from_secs(10))
        .build()
        .unwrap();
    let client = UqPayClient::new(config).unwrap();
    let event = client
        .verify_webhook(&vector.headers, body, vector.now)
        .unwrap();
    assert_eq!(event.refund.id.as_str(), "RF2043629695899013120");
    let late = vector.now + Duration::from_secs(11);
    let error = client
        .verify_webhook(&vector.headers, body, late)
        .unwrap_err();
    assert!(
        matches!(
            error,
            RefundError::Webhook(WebhookError::TimestampTooOld { .. })
        ),
        "{error}"
    );
}
