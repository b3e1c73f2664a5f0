//! Hostile answers and hostile input (issue 9): whatever WooshPay echoes —
//! the secret key, its Basic value or base64 part — no credential reaches an
//! error or a returned value; every create answer that may follow a refund is
//! `OutcomeUnknown`; ambiguous webhook deliveries and ids outside the
//! documented character set are refused.

use crate::common::*;
use http::{HeaderMap, HeaderValue};
use httpmock::prelude::*;
use httpmock::Mock;
use refundkit_core::{
    OffsetDateTime, RefundAmount, RefundError, RefundId, RefundProvider, RefundReason,
    RefundRequest, SecretString, WebhookError,
};
use refundkit_wooshpay::webhook::{sign, verify_and_parse, SIGNATURE_HEADERS};
use serde_json::{json, Value};

/// Every form of the credentials, in one phrase a careless server might send.
fn all_credentials() -> String {
    format!("{} / {} / {KEY}: / {KEY}", basic_auth(), encoded_key())
}

fn texts_of(error: &RefundError) -> String {
    format!("{error} | {error:?}")
}

fn create_request() -> RefundRequest {
    request(partial("10.01", "USD"), RefundReason::RequestedByCustomer)
}

async fn create_answers<'a>(server: &'a MockServer, status: u16, body: String) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(status)
                .header("content-type", "application/json")
                .body(body);
        })
        .await
}

async fn get_answers(server: &MockServer, body: Value) {
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/refunds/{REFUND}"));
            then.status(200).json_body(body);
        })
        .await;
}

#[tokio::test]
async fn credentials_quoted_anywhere_in_an_error_answer_never_reach_the_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(401)
                .header("request-id", format!("req_{KEY}_{}", encoded_key()))
                .json_body(json!({"error": {
                    "type": "invalid_request_error",
                    "code": format!("invalid_api_key_{KEY}"),
                    "message": format!("Invalid API Key provided: {}", all_credentials())
                }}));
        })
        .await;

    let error = client_with(&server, single_attempt())
        .create_refund(&create_request())
        .await
        .unwrap_err();

    let RefundError::Provider(provider) = &error else {
        panic!("a provider error: {error:?}");
    };
    assert!(provider.message.contains("Invalid API Key"), "{error}");
    let request_id = provider.request_id.as_deref().unwrap();
    assert!(request_id.starts_with("req_"), "{request_id}");
    assert_no_secret(request_id);
    assert_no_secret(&texts_of(&error));
}

#[tokio::test]
async fn credentials_echoed_in_a_refund_never_reach_the_returned_refund() {
    let server = MockServer::start_async().await;
    let mut body = refund_json(1001, "usd", "succeeded");
    body["description"] = json!(format!("refunded with {}", all_credentials()));
    body["metadata"] = json!({ "auth": basic_auth(), KEY: "as a key", "b64": encoded_key() });
    body["reason"] = json!(format!("asked by {KEY}"));
    get_answers(&server, body).await;

    let refund = client(&server).get_refund(&refund_id()).await.unwrap();

    assert_eq!(refund.metadata.len(), 3, "{refund:?}");
    assert_no_secret(&format!("{refund:?}"));
    assert_no_secret(&serde_json::to_string(&refund).unwrap());
    assert_no_secret(&refund.raw.to_string());
}

/// `text` as a JSON string literal with every character a `\u` escape.
fn escaped_json_string(text: &str) -> String {
    let escaped: String = text
        .chars()
        .map(|c| format!("\\u{:04x}", u32::from(c)))
        .collect();
    format!("\"{escaped}\"")
}

#[tokio::test]
async fn credentials_written_with_json_escapes_never_reach_the_raw_body() {
    let server = MockServer::start_async().await;
    let mut body = refund_json(1001, "usd", "succeeded");
    body["description"] = json!("DESCRIPTION");
    body["metadata"] = json!({ "KEY_AS_KEY": "x", "link": "LINK" });
    let body = body
        .to_string()
        .replace("\"DESCRIPTION\"", &escaped_json_string(&all_credentials()))
        .replace("\"KEY_AS_KEY\"", &escaped_json_string(KEY))
        .replace("\"LINK\"", r#""https:\/\/example.com\/""#);
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/refunds/{REFUND}"));
            then.status(200)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;

    let refund = client(&server).get_refund(&refund_id()).await.unwrap();

    assert!(refund
        .description
        .as_deref()
        .unwrap()
        .contains("[REDACTED]"));
    let raw: Value = serde_json::from_str(refund.raw.get()).unwrap();
    assert_eq!(raw["metadata"]["link"], "https://example.com/");
    assert_eq!(raw["metadata"]["[REDACTED]"], "x");
    assert_no_secret(&raw.to_string());
    assert_no_secret(&format!("{refund:?}"));
}

#[tokio::test]
async fn a_refund_whose_fields_carry_credentials_fails_to_decode_without_quoting_them() {
    let hostile_fields = [
        ("object", json!(KEY)),
        ("currency", json!(KEY)),
        ("amount", json!(KEY)),
        ("amount", json!(encoded_key())),
        ("created", json!(KEY)),
        // An id that is the key: an answer about another refund.
        ("id", json!(KEY)),
        ("status", json!({ "nested": KEY })),
    ];
    for (field, value) in hostile_fields {
        let server = MockServer::start_async().await;
        let mut body = refund_json(1001, "usd", "succeeded");
        body[field] = value;
        get_answers(&server, body).await;

        let error = client(&server).get_refund(&refund_id()).await.unwrap_err();

        assert!(
            matches!(error, RefundError::Decode { .. }),
            "{field}: {error:?}"
        );
        assert_no_secret(&texts_of(&error));
    }
}

#[tokio::test]
async fn a_create_answer_over_the_size_cap_is_outcome_unknown_whatever_its_status() {
    for status in [200, 500] {
        let server = MockServer::start_async().await;
        let mut body = refund_json(1001, "usd", "pending");
        body["metadata"] = json!({ "padding": "x".repeat(8 * 1024) });
        create_answers(&server, status, body.to_string()).await;
        let request = create_request();

        let error = client_with(&server, fast_transport().with_max_response_bytes(4 * 1024))
            .create_refund(&request)
            .await
            .unwrap_err();

        match error {
            RefundError::OutcomeUnknown {
                idempotency_key, ..
            } => assert_eq!(idempotency_key, *request.idempotency_key(), "{status}"),
            other => panic!("HTTP {status}: expected OutcomeUnknown, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_400_refuses_a_create_only_when_its_body_is_a_documented_wooshpay_error() {
    let html = "<html><body><h1>400 Bad Request</h1>cloudflare</body></html>".to_string();
    let documented = error_json(
        "invalid_request_error",
        "amount_too_large",
        "Refund amount is too large",
    )
    .to_string();
    for (body, unknown) in [(html, true), (documented, false)] {
        let server = MockServer::start_async().await;
        create_answers(&server, 400, body.clone()).await;
        let request = create_request();

        let error = client(&server).create_refund(&request).await.unwrap_err();

        if unknown {
            assert!(
                matches!(&error, RefundError::OutcomeUnknown { idempotency_key, .. }
                    if idempotency_key == request.idempotency_key()),
                "{body}: {error:?}"
            );
        } else {
            assert!(
                matches!(&error, RefundError::Provider(e) if e.status == 400),
                "{body}: {error:?}"
            );
        }
    }
}

const SIGNED_AT: i64 = 1_776_074_262;
const EVENT: &str = r#"{"id":"evt_1","type":"charge.refund.updated","data":{"object":{"id":"re_1","object":"refund","amount":1001,"currency":"usd","status":"succeeded"}}}"#;

fn signature() -> String {
    sign(
        &SecretString::from(WEBHOOK_SECRET),
        EVENT.as_bytes(),
        SIGNED_AT,
    )
}

/// A second, different signature value (signed a second later).
fn other_signature() -> String {
    sign(
        &SecretString::from(WEBHOOK_SECRET),
        EVENT.as_bytes(),
        SIGNED_AT + 1,
    )
}

fn verify(headers: &HeaderMap) -> Result<refundkit_core::RefundEvent, WebhookError> {
    let now = OffsetDateTime::from_unix_timestamp(SIGNED_AT).unwrap();
    verify_and_parse(
        &SecretString::from(WEBHOOK_SECRET),
        headers,
        EVENT.as_bytes(),
        now,
    )
}

fn with(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(*name, HeaderValue::from_str(value).unwrap());
    }
    headers
}

#[test]
fn a_delivery_with_two_signature_headers_is_refused() {
    let documented = SIGNATURE_HEADERS[0];
    assert!(verify(&with(&[(documented, signature())])).is_ok());
    let twice = with(&[(documented, signature()), (documented, other_signature())]);

    assert_eq!(
        verify(&twice).unwrap_err(),
        WebhookError::AmbiguousHeader(documented)
    );
}

#[test]
fn a_delivery_whose_signature_aliases_disagree_is_refused() {
    let [documented, alias, _] = SIGNATURE_HEADERS;
    assert!(
        verify(&with(&[(alias, signature())])).is_ok(),
        "alias alone"
    );
    let agreeing = with(&[(documented, signature()), (alias, signature())]);
    assert!(verify(&agreeing).is_ok(), "aliases that agree");
    let disagreeing = with(&[(documented, signature()), (alias, other_signature())]);

    assert_eq!(
        verify(&disagreeing).unwrap_err(),
        WebhookError::AmbiguousHeader(alias)
    );
}

#[tokio::test]
async fn ids_that_could_change_a_path_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any_request = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(599).body("unexpected request");
        })
        .await;
    for bad in [
        "pi_1/x",
        "../pi_1",
        "pi_1?x=1",
        "pi_1#x",
        "pi_1%2Fx",
        "pi_\u{e9}",
    ] {
        let built =
            RefundRequest::builder(bad, RefundAmount::Full, RefundReason::RequestedByCustomer)
                .build();
        assert_eq!(built.unwrap_err().field(), "payment_id", "{bad}");
        let refund = format!("re_{bad}");
        assert_eq!(RefundId::new(&refund).unwrap_err().field(), "refund_id");
        assert!(format!("wooshpay:{refund}")
            .parse::<refundkit_core::RefundRef>()
            .is_err());
    }
    // The same client still sends a well-formed request.
    let _ = client_with(&server, single_attempt())
        .get_refund(&refund_id())
        .await;
    any_request.assert_calls_async(1).await;
}

#[test]
fn control_characters_in_free_text_are_refused_naming_the_field() {
    let injected = "ok\r\nAuthorization: stolen";
    let cases = [
        (
            "description",
            RefundRequest::builder(PAYMENT, partial("1", "USD"), RefundReason::Duplicate)
                .description(injected)
                .build(),
        ),
        (
            "reason",
            RefundRequest::builder(
                PAYMENT,
                RefundAmount::Full,
                RefundReason::Other(injected.into()),
            )
            .build(),
        ),
        (
            "metadata",
            RefundRequest::builder(PAYMENT, RefundAmount::Full, RefundReason::Duplicate)
                .metadata(injected, "v")
                .build(),
        ),
    ];
    for (field, built) in cases {
        let error = built.expect_err(field);
        assert_eq!(error.field(), field);
        assert!(!error.to_string().contains("stolen"), "{error}");
    }
}
