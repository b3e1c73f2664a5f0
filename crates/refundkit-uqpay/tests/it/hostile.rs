//! Hostile answers and hostile input (issue 9): whatever a server echoes, no
//! credential reaches an error or a returned value; every create answer that
//! may follow a refund is `OutcomeUnknown`; ambiguous webhook deliveries and
//! ids, keys and text outside what UQPay accepts are refused before sending.

use http::{HeaderMap, HeaderValue};
use httpmock::{Mock, MockServer};
use refundkit_core::{
    ErrorKind, IdempotencyKey, ListRefunds, OffsetDateTime, RefundAmount, RefundError, RefundId,
    RefundReason, RefundRequest, SecretString, ValidationError, WebhookError,
};
use refundkit_uqpay::{webhook, RefundProvider, UqPayClient};
use serde_json::{json, Value};

use crate::common::*;
use crate::leaky::assert_no_secret;

/// Everything an error shows: `Display` and `Debug`.
fn texts_of(error: &RefundError) -> String {
    format!("{error} | {error:?}")
}

fn rf1() -> RefundId {
    RefundId::new("RF1").unwrap()
}

/// The create endpoint answering `status` with `body`.
async fn create_answers<'a>(server: &'a MockServer, status: u16, body: String) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method("POST").path(REFUNDS_PATH);
            then.status(status)
                .header("content-type", "application/json")
                .body(body);
        })
        .await
}

/// The read of RF1 answering 200 with `body`.
async fn get_answers(server: &MockServer, body: Value) {
    server
        .mock_async(|when, then| {
            when.method("GET").path(format!("{REFUNDS_PATH}/RF1"));
            then.status(200).json_body(body);
        })
        .await;
}

#[tokio::test]
async fn credentials_quoted_by_the_token_endpoint_never_reach_the_error() {
    let server = MockServer::start_async().await;
    // The first token is due for renewal at once (inside the 5-minute margin).
    token_mock(&server, TOKEN, unix_in(60), Some(1)).await;
    server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(401).json_body(json!({
                "type": "unauthorized_error", "code": "unauthorized",
                "message": format!("api key {API_KEY} may not renew token {TOKEN}")
            }));
        })
        .await;
    get_answers(&server, refund_json("RF1", "1.00", "USD", "SUCCEEDED")).await;
    let client = client(&server);
    client.get_refund(&rf1()).await.unwrap();

    let error = client.get_refund(&rf1()).await.unwrap_err();

    assert_eq!(error.kind(), Some(ErrorKind::Authentication), "{error}");
    assert!(error.to_string().contains("may not renew"), "{error}");
    assert_no_secret(&texts_of(&error));
}

#[tokio::test]
async fn the_api_key_and_token_quoted_by_a_refused_create_never_reach_the_error() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    usd_intent(&server, PAYMENT_ID).await;
    let body = json!({
        "type": "invalid_request_error", "code": "invalid_parameter",
        "message": format!("bad request from key {API_KEY} with x-auth-token Bearer {TOKEN}")
    });
    create_answers(&server, 400, body.to_string()).await;

    let error = client(&server)
        .create_refund(&partial("1", "USD"))
        .await
        .unwrap_err();

    assert!(matches!(error, RefundError::Provider(_)), "{error:?}");
    assert!(
        error.to_string().contains("bad request from key"),
        "{error}"
    );
    assert_no_secret(&texts_of(&error));
}

#[tokio::test]
async fn credentials_in_the_request_id_header_never_reach_the_error() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(format!("{REFUNDS_PATH}/RF1"));
            then.status(400)
                .header("x-request-id", format!("req-{API_KEY}-{TOKEN}"))
                .json_body(json!({
                    "type": "not_found", "code": "resource_not_found", "message": "not found"
                }));
        })
        .await;

    let error = client(&server).get_refund(&rf1()).await.unwrap_err();

    let RefundError::Provider(provider) = &error else {
        panic!("a provider error: {error:?}");
    };
    let request_id = provider.request_id.as_deref().unwrap();
    assert!(request_id.starts_with("req-"), "{request_id}");
    assert_no_secret(request_id);
    assert_no_secret(&texts_of(&error));
}

#[tokio::test]
async fn credentials_echoed_in_a_refund_never_reach_the_returned_refund() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let mut body = refund_json("RF1", "1.00", "USD", "SUCCEEDED");
    body["reason"] = json!(format!("asked by {API_KEY}"));
    body["description"] = json!(format!("token {TOKEN}"));
    body["metadata"] = json!({ "key": API_KEY, API_KEY: "as a key", "bearer": bearer(TOKEN) });
    get_answers(&server, body).await;

    let refund = client(&server).get_refund(&rf1()).await.unwrap();

    assert_eq!(refund.metadata.len(), 3, "{refund:?}");
    assert_no_secret(&format!("{refund:?}"));
    assert_no_secret(&serde_json::to_string(&refund).unwrap());
    assert_no_secret(&refund.raw.to_string());
}

#[tokio::test]
async fn a_refund_whose_fields_carry_credentials_fails_to_decode_without_quoting_them() {
    let hostile_fields = [
        ("currency", json!(API_KEY)),
        ("amount", json!(TOKEN)),
        ("create_time", json!(API_KEY)),
        // An id that is the key: an answer about another refund than RF1.
        ("payment_refund_id", json!(API_KEY)),
        ("refund_status", json!({ "nested": API_KEY })),
    ];
    for (field, value) in hostile_fields {
        let server = MockServer::start_async().await;
        token_ok(&server).await;
        let mut body = refund_json("RF1", "1.00", "USD", "SUCCEEDED");
        body[field] = value;
        get_answers(&server, body).await;

        let error = client(&server).get_refund(&rf1()).await.unwrap_err();

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
        token_ok(&server).await;
        usd_intent(&server, PAYMENT_ID).await;
        let mut body = refund_json("RF1", "1.00", "USD", "INITIATED");
        body["metadata"] = json!({ "padding": "x".repeat(8 * 1024) });
        create_answers(&server, status, body.to_string()).await;
        let config = config_builder(&server)
            .transport(fast_transport().with_max_response_bytes(4 * 1024))
            .build()
            .unwrap();
        let request = partial("1", "USD");

        let error = UqPayClient::new(config)
            .unwrap()
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
async fn a_400_refuses_a_create_only_when_its_body_is_a_documented_uqpay_error() {
    let html = "<html><body><h1>400 Bad Request</h1>nginx</body></html>".to_string();
    let documented = json!({
        "type": "refund_error", "code": "refund_amount_exceeds", "message": "too much"
    })
    .to_string();
    for (body, unknown) in [(html, true), (documented, false)] {
        let server = MockServer::start_async().await;
        token_ok(&server).await;
        usd_intent(&server, PAYMENT_ID).await;
        create_answers(&server, 400, body.clone()).await;
        let request = partial("1", "USD");

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

const WEBHOOK_SECRET: &str = "uqpay-webhook-secret-example";
const SIGNED_AT: i64 = 1_776_074_262;
const EVENT: &str = r#"{"event_name":"ACQUIRING","event_type":"acquiring.refund.succeeded","event_id":"ff65da37-6fcc-4e3a-a418-547b349aee8b","data":{"payment_refund_id":"RF1","payment_intent_id":"PI1","amount":"8.88","currency":"SGD","refund_status":"SUCCEEDED"}}"#;

/// A correctly signed delivery of [`EVENT`] at [`SIGNED_AT`].
fn signed_headers() -> HeaderMap {
    let secret = SecretString::from(WEBHOOK_SECRET);
    let mut headers = HeaderMap::new();
    headers.insert(webhook::TIMESTAMP_HEADER, HeaderValue::from(SIGNED_AT));
    let signature = webhook::sign(&secret, EVENT.as_bytes(), SIGNED_AT);
    headers.insert(webhook::SIGNATURE_HEADER, signature.parse().unwrap());
    headers
}

fn verify(headers: &HeaderMap) -> Result<refundkit_core::RefundEvent, WebhookError> {
    let now = OffsetDateTime::from_unix_timestamp(SIGNED_AT).unwrap();
    webhook::verify_and_parse(
        &SecretString::from(WEBHOOK_SECRET),
        headers,
        EVENT.as_bytes(),
        now,
    )
}

#[test]
fn a_delivery_with_two_signature_headers_is_refused() {
    assert!(verify(&signed_headers()).is_ok(), "the delivery is valid");
    let mut headers = signed_headers();
    headers.append(webhook::SIGNATURE_HEADER, HeaderValue::from_static("00ff"));

    assert_eq!(
        verify(&headers).unwrap_err(),
        WebhookError::AmbiguousHeader(webhook::SIGNATURE_HEADER)
    );
}

#[test]
fn a_delivery_with_two_timestamp_headers_is_refused() {
    let mut headers = signed_headers();
    headers.append(
        webhook::TIMESTAMP_HEADER,
        HeaderValue::from_static("1776074300"),
    );

    assert_eq!(
        verify(&headers).unwrap_err(),
        WebhookError::AmbiguousHeader(webhook::TIMESTAMP_HEADER)
    );
}

const PATH_CHANGING_IDS: [&str; 7] = [
    "PI1/x",
    "../PI1",
    "PI1?x=1",
    "PI1#x",
    "PI1%2Fx",
    "PI1\u{e9}",
    "PI\u{0661}",
];

fn refused_field(result: Result<RefundRequest, ValidationError>) -> &'static str {
    result.expect_err("the request is refused").field()
}

#[tokio::test]
async fn payment_ids_that_could_change_a_path_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any_request = catch_all(&server).await;
    let client = client(&server);
    for bad in PATH_CHANGING_IDS {
        let built =
            RefundRequest::builder(bad, RefundAmount::Full, RefundReason::RequestedByCustomer)
                .build();
        assert_eq!(refused_field(built), "payment_id", "{bad}");
        let mut query = ListRefunds::default();
        query.payment_id = Some(bad.to_string());
        match client.list_refunds(&query).await {
            Err(RefundError::Invalid(error)) => assert_eq!(error.field(), "payment_id", "{bad}"),
            other => panic!("{bad}: expected a validation error, got {other:?}"),
        }
    }
    any_request.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_version_1_uuid_is_refused_as_an_idempotency_key_before_sending() {
    let server = MockServer::start_async().await;
    let any_request = catch_all(&server).await;
    let v1 = IdempotencyKey::parse("c232ab00-9414-11ec-b3c8-9f6bdeced846").unwrap();
    assert_eq!(v1.as_uuid().get_version_num(), 1);
    let request = RefundRequest::builder(
        PAYMENT_ID,
        RefundAmount::Partial(money("1", "USD")),
        RefundReason::RequestedByCustomer,
    )
    .idempotency_key(v1)
    .build()
    .unwrap();

    let error = client(&server).create_refund(&request).await.unwrap_err();

    match error {
        RefundError::Invalid(error) => assert_eq!(error.field(), "idempotency_key"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    any_request.assert_calls_async(0).await;
}

#[test]
fn control_characters_in_free_text_are_refused_naming_the_field() {
    let builder = || {
        RefundRequest::builder(
            PAYMENT_ID,
            RefundAmount::Partial(money("1", "USD")),
            RefundReason::RequestedByCustomer,
        )
    };
    let injected = "ok\r\nx-api-key: stolen";
    let other_reason = RefundRequest::builder(
        PAYMENT_ID,
        RefundAmount::Full,
        RefundReason::Other(injected.to_string()),
    );
    let cases = [
        ("description", builder().description(injected).build()),
        ("reason", other_reason.build()),
        ("metadata", builder().metadata("note", injected).build()),
        ("metadata", builder().metadata(injected, "value").build()),
    ];
    for (field, built) in cases {
        let error = built.expect_err(field);
        assert_eq!(error.field(), field);
        assert!(
            !error.to_string().contains("stolen"),
            "the value is not quoted: {error}"
        );
    }
}

#[tokio::test]
async fn a_token_answer_at_the_calendars_edge_cannot_panic() {
    // (expired_at, whether it is a representable time)
    let first = time::PrimitiveDateTime::MIN.assume_utc().unix_timestamp();
    let last = time::PrimitiveDateTime::MAX.assume_utc().unix_timestamp();
    let answers = [
        (first, true),
        (last, true),
        (i64::MAX, false),
        (i64::MIN, false),
    ];
    for (expired_at, representable) in answers {
        let server = MockServer::start_async().await;
        token_mock(&server, TOKEN, expired_at, None).await;
        get_answers(&server, refund_json("RF1", "1.00", "USD", "SUCCEEDED")).await;
        let client = client(&server);

        // The second call checks the stored token's expiry.
        for _ in 0..2 {
            match client.get_refund(&rf1()).await {
                Ok(refund) => assert!(representable, "{expired_at}: {refund:?}"),
                Err(RefundError::Decode { message, .. }) => {
                    assert!(!representable, "{expired_at}: {message}")
                }
                Err(other) => panic!("{expired_at}: {other:?}"),
            }
        }
    }
}

/// A search for a refund by key over list answers that never end — a page
/// count past belief, or a payment "created" in year 0 — stops after 100
/// list pages with an error, never loops on and never answers "no refund".
#[tokio::test]
async fn a_search_by_key_over_an_endless_list_stops_with_an_error() {
    for (created, total_pages) in [
        (Some("2026-04-13T17:57:42+08:00"), json!(u64::MAX)),
        (Some("0000-01-01T00:00:00Z"), json!(1)),
    ] {
        let server = MockServer::start_async().await;
        token_ok(&server).await;
        let mut intent = intent_json(PAYMENT_ID, "USD", "10.00", None, "SUCCEEDED");
        intent["create_time"] = json!(created);
        server
            .mock_async(|when, then| {
                when.method("GET")
                    .path(format!("/api/v2/payment_intents/{PAYMENT_ID}"));
                then.status(200).json_body(intent);
            })
            .await;
        let list = server
            .mock_async(|when, then| {
                when.method("GET").path(REFUNDS_PATH);
                then.status(200).json_body(json!({
                    "total_pages": total_pages, "total_items": 1_000_000, "data": []
                }));
            })
            .await;

        let error = client(&server)
            .find_refund_by_key(PAYMENT_ID, &IdempotencyKey::new())
            .await
            .unwrap_err();

        assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
        assert!(error.to_string().contains("100 list pages"), "{error}");
        list.assert_calls_async(100).await;
    }
}
